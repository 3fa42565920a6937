//! Genesis transactions as InitChain finds them: `app_state.genutil.gen_txs`, each a signed
//! `MsgCreateValidator` (a *gentx*) that genesis runs through the ante pipeline and the router,
//! as the Cosmos SDK's genutil does. Writing and collecting gentxs is the node's tooling.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use openledger_framework::AbciError;
use openledger_framework::error::SdkError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One `app_state.genutil.gen_txs` entry and one gentx file (`config/gentx/gentx-<node-id>.json`):
/// the signed `TxRaw` in base64 and, for people reading it, what it does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenTxFile {
    /// The signed `TxRaw`, base64.
    pub tx: String,
    /// For readers: the validator this creates (the chain reads only `tx`).
    #[serde(default)]
    pub moniker: String,
    #[serde(default)]
    pub operator: String,
    #[serde(default)]
    pub self_delegation: String,
    /// `node-id@host:port` of the validator's node, which `collect-gentxs` makes a peer.
    #[serde(default)]
    pub peer: String,
}

/// The gentx bytes in a genesis `app_state` (none when there is no `genutil` section).
pub fn gentxs_of(app_state: &Value) -> Result<Vec<Vec<u8>>, AbciError> {
    let Some(list) = app_state.get("genutil").and_then(|g| g.get("gen_txs")) else {
        return Ok(Vec::new());
    };
    let bad = |i: usize, e: String| -> AbciError {
        SdkError::InvalidRequest(format!("genutil.gen_txs[{i}]: {e}")).into()
    };
    let items = list
        .as_array()
        .ok_or_else(|| bad(0, "gen_txs is not a list".into()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let b64 = match item {
                Value::String(s) => s.clone(),
                other => {
                    serde_json::from_value::<GenTxFile>(other.clone())
                        .map_err(|e| bad(i, e.to_string()))?
                        .tx
                }
            };
            B64.decode(b64.trim())
                .map_err(|e| bad(i, format!("tx is not base64: {e}")))
        })
        .collect()
}
