//! `app_state.models` in genesis.json (proto3 JSON): `{"params": {…}, "baseModels": […]}`, so a
//! chain can start with its foundation models registered.

use openledger_framework::{AbciError, Ctx, KvRead};
use openledger_proto::openledger::models::v1::{GenesisState, MsgRegisterBaseModel};
use prost::Message;

use crate::{ModelsError, ModelsKeeper, default_params, keys};

pub fn init(
    keeper: &ModelsKeeper,
    ctx: &mut Ctx<'_>,
    genesis: &serde_json::Value,
) -> Result<(), AbciError> {
    let state: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(|e| ModelsError::Genesis(e.to_string()))?
    };
    keeper.set_params(ctx, &state.params.unwrap_or_else(default_params))?;
    for m in state.base_models {
        // Registered as by the authority: same checks, no deposit; ids are assigned in order.
        let id = keeper.register_base_model(
            ctx,
            &MsgRegisterBaseModel {
                sender: keeper.authority().to_bech32(),
                name: m.name,
                architecture: m.architecture,
                weights_sha256: m.weights_sha256,
                tokenizer_sha256: m.tokenizer_sha256,
                source: m.source,
            },
        )?;
        if m.id != 0 && m.id != id {
            return Err(ModelsError::Genesis(format!(
                "base model ids must be 1, 2, … in order; got {} at position {id}",
                m.id
            ))
            .into());
        }
    }
    Ok(())
}

pub fn export(keeper: &ModelsKeeper, state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
    let mut s = state;
    let mut base_models = Vec::new();
    for (key, v) in state.prefix(keys::all_base_models())? {
        base_models.push(
            Message::decode(v.as_slice())
                .map_err(|e| ModelsError::Corrupt(format!("{key}: {e}")))?,
        );
    }
    let g = GenesisState {
        params: Some(keeper.params(&mut s)?),
        base_models,
    };
    serde_json::to_value(g).map_err(|e| ModelsError::Corrupt(e.to_string()).into())
}
