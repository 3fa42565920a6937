//! Genesis of IBC core and of the transfer application.
//!
//! Core's state is clients, connections, channels and packet state at ICS-24 paths, which only
//! ever come from messages with proofs; its genesis is that store as it is (`store`: key and
//! base64 value, key order), so an export imports to the same app hash. Transfer's is typed,
//! as in ibc-go: `params`, `denom_traces`, `total_escrowed`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ibc_proto::ibc::applications::transfer::v1::{DenomTrace, Params};
use openledger_framework::{AbciError, Ctx, KvRead};
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::transfer::{denom_hash, params};
use crate::{IbcError, keys};

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CoreGenesis {
    #[serde(default)]
    store: Vec<StoreEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreEntry {
    key: String,
    value: String,
}

fn parse<T: for<'de> Deserialize<'de> + Default>(v: &serde_json::Value) -> Result<T, AbciError> {
    if v.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(v.clone()).map_err(|e| IbcError::Genesis(e.to_string()).into())
}

pub fn init_core(ctx: &mut Ctx<'_>, genesis: &serde_json::Value) -> Result<(), AbciError> {
    let g: CoreGenesis = parse(genesis)?;
    for e in g.store {
        let value = B64
            .decode(&e.value)
            .map_err(|err| IbcError::Genesis(format!("{}: {err}", e.key)))?;
        ctx.set(keys::path(&e.key), value)?;
    }
    Ok(())
}

pub fn export_core(state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
    let prefix = format!("{}/", keys::PREFIX);
    let store = state
        .prefix(&prefix)?
        .into_iter()
        .map(|(k, v)| StoreEntry {
            key: k[prefix.len()..].to_string(),
            value: B64.encode(v),
        })
        .collect();
    serde_json::to_value(CoreGenesis { store }).map_err(|e| IbcError::Genesis(e.to_string()).into())
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsJson {
    send_enabled: bool,
    receive_enabled: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceJson {
    path: String,
    base_denom: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CoinJson {
    denom: String,
    amount: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferGenesis {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    port_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    params: Option<ParamsJson>,
    #[serde(default)]
    denom_traces: Vec<TraceJson>,
    #[serde(default)]
    total_escrowed: Vec<CoinJson>,
}

pub fn init_transfer(ctx: &mut Ctx<'_>, genesis: &serde_json::Value) -> Result<(), AbciError> {
    let g: TransferGenesis = parse(genesis)?;
    if let Some(port) = &g.port_id
        && port != "transfer"
    {
        return Err(IbcError::Genesis(format!("port_id must be transfer, not {port}")).into());
    }
    if let Some(p) = g.params {
        let p = Params {
            send_enabled: p.send_enabled,
            receive_enabled: p.receive_enabled,
        };
        ctx.set(keys::transfer_params().to_string(), p.encode_to_vec())?;
    }
    for t in g.denom_traces {
        if t.base_denom.is_empty() {
            return Err(IbcError::Genesis("denom trace without base denom".into()).into());
        }
        let full = if t.path.is_empty() {
            t.base_denom.clone()
        } else {
            format!("{}/{}", t.path, t.base_denom)
        };
        let trace = DenomTrace {
            path: t.path,
            base_denom: t.base_denom,
        };
        ctx.set(keys::denom_trace(&denom_hash(&full)), trace.encode_to_vec())?;
    }
    for c in g.total_escrowed {
        let amount = openledger_framework::coins::parse_amount(&c.amount)?;
        ctx.set(
            keys::total_escrow(&c.denom),
            amount.to_string().into_bytes(),
        )?;
    }
    Ok(())
}

pub fn export_transfer(mut state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
    let p = params(&mut state)?;
    let mut denom_traces = Vec::new();
    for (key, bytes) in state.prefix(keys::denom_traces())? {
        let t = DenomTrace::decode(bytes.as_slice())
            .map_err(|e| IbcError::Corrupt(format!("{key}: {e}")))?;
        denom_traces.push(TraceJson {
            path: t.path,
            base_denom: t.base_denom,
        });
    }
    let escrow_prefix = keys::total_escrow("");
    let mut total_escrowed = Vec::new();
    for (key, bytes) in state.prefix(&escrow_prefix)? {
        total_escrowed.push(CoinJson {
            denom: key[escrow_prefix.len()..].to_string(),
            amount: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    let g = TransferGenesis {
        port_id: Some("transfer".into()),
        params: Some(ParamsJson {
            send_enabled: p.send_enabled,
            receive_enabled: p.receive_enabled,
        }),
        denom_traces,
        total_escrowed,
    };
    serde_json::to_value(g).map_err(|e| IbcError::Genesis(e.to_string()).into())
}
