//! `app_state.attribution` in genesis.json (proto3 JSON): params, requests (pending ones keep
//! their escrow), records, block roots, earnings and the next request id. Export at a height,
//! import into a fresh chain, and the store is the same.

use openledger_framework::{AbciError, Ctx, KvRead};
use openledger_proto::openledger::attribution::v1::{GenesisState, RequestStatus};
use prost::Message;

use crate::{AttributionError, AttributionKeeper, default_params, keys, parse_address};

pub fn init(
    keeper: &AttributionKeeper,
    ctx: &mut Ctx<'_>,
    genesis: &serde_json::Value,
) -> Result<(), AbciError> {
    let g: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone())
            .map_err(|e| AttributionError::Genesis(e.to_string()))?
    };
    keeper.set_params(ctx, &g.params.unwrap_or_else(default_params))?;
    let mut max_id = 0;
    for r in &g.requests {
        if r.id == 0 {
            return Err(AttributionError::Genesis("request id 0".into()).into());
        }
        parse_address("request sender", &r.sender)?;
        max_id = max_id.max(r.id);
        ctx.set(keys::request(r.id), r.encode_to_vec())?;
        if r.status == RequestStatus::Pending as i32 {
            ctx.set(keys::pending(r.id), Vec::new())?;
            ctx.set(keys::timeout(r.timeout_height, r.id), Vec::new())?;
        }
    }
    for rec in &g.records {
        ctx.set(keys::record(rec.request_id), rec.encode_to_vec())?;
        ctx.set(keys::by_adapter(rec.adapter_id, rec.request_id), Vec::new())?;
        for s in &rec.scores {
            let c = parse_address("record contributor", &s.contributor)?;
            ctx.set(keys::by_contributor(&c, rec.request_id), Vec::new())?;
        }
    }
    for root in &g.block_roots {
        ctx.set(keys::block_root(root.height), root.encode_to_vec())?;
    }
    for e in &g.earnings {
        let addr = parse_address("earnings address", &e.address)?;
        ctx.set(keys::earnings(&addr), e.encode_to_vec())?;
    }
    let next = g.next_request_id.max(max_id + 1);
    ctx.set(
        keys::next_request_id().to_string(),
        next.to_be_bytes().to_vec(),
    )?;
    Ok(())
}

fn decoded<M: Message + Default>(state: &dyn KvRead, prefix: &str) -> Result<Vec<M>, AbciError> {
    state
        .prefix(prefix)?
        .into_iter()
        .map(|(k, v)| {
            M::decode(v.as_slice())
                .map_err(|e| AttributionError::Corrupt(format!("{k}: {e}")).into())
        })
        .collect()
}

pub fn export(
    keeper: &AttributionKeeper,
    state: &dyn KvRead,
) -> Result<serde_json::Value, AbciError> {
    let mut s = state;
    let next_request_id = match state.get(keys::next_request_id())? {
        None => 1,
        Some(b) => u64::from_be_bytes(
            b.try_into()
                .map_err(|_| AttributionError::Corrupt("next request id".into()))?,
        ),
    };
    let g = GenesisState {
        params: Some(keeper.params(&mut s)?),
        requests: decoded(state, keys::all_requests())?,
        records: decoded(state, keys::all_records())?,
        block_roots: decoded(state, keys::all_block_roots())?,
        earnings: decoded(state, keys::all_earnings())?,
        next_request_id,
    };
    serde_json::to_value(g).map_err(|e| AttributionError::Corrupt(e.to_string()).into())
}
