//! `app_state.datanet` in genesis.json: `{"params": {…}}` in proto3 JSON
//! (`{"params": {"maxRecordBytesLimit": "65536", …}}`). Datanets start empty on a new chain.

use openledger_framework::{AbciError, Ctx, KvRead};
use openledger_proto::openledger::datanet::v1::GenesisState;

use crate::{DatanetError, DatanetKeeper, params};

pub fn init(
    keeper: &DatanetKeeper,
    ctx: &mut Ctx<'_>,
    genesis: &serde_json::Value,
) -> Result<(), AbciError> {
    let state: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(|e| DatanetError::Genesis(e.to_string()))?
    };
    if !state.datanets.is_empty() || !state.records.is_empty() || !state.versions.is_empty() {
        return Err(DatanetError::Genesis(
            "importing Datanets in genesis is not supported; create them with transactions".into(),
        )
        .into());
    }
    let p = state.params.unwrap_or_else(params::default_params);
    keeper.set_params(ctx, &p)
}

pub fn export(keeper: &DatanetKeeper, state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
    let mut s = state;
    let g = GenesisState {
        params: Some(keeper.params(&mut s)?),
        ..Default::default()
    };
    serde_json::to_value(g).map_err(|e| DatanetError::Corrupt(e.to_string()).into())
}
