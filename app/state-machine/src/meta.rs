//! The chain's metadata, kept in the main store beside the modules' substores.

use openledger_framework::error::SdkError;
use openledger_framework::store::{KvRead, Snapshot};
use openledger_framework::{AbciError, BlockInfo};

/// Chain metadata lives in the main store (outside every module's substore), so it is part of
/// the app hash like everything else the node restarts from.
pub(crate) const META_KEY: &str = "openledger/meta";

/// Chain metadata: the chain id, the first and the last committed height and block time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainMeta {
    pub chain_id: String,
    pub initial_height: u64,
    pub height: u64,
    pub block_time: (i64, u32),
}

impl ChainMeta {
    /// The block after the last committed one, as CheckTx and Simulate see it (the last block's
    /// time: the next one's is not known yet).
    pub fn next_block(&self) -> BlockInfo {
        BlockInfo {
            height: self.height + 1,
            time_seconds: self.block_time.0,
            time_nanos: self.block_time.1,
            chain_id: self.chain_id.clone(),
            ..Default::default()
        }
    }

    pub fn load(snapshot: &Snapshot) -> Result<Option<Self>, AbciError> {
        let Some(bytes) = snapshot.get(META_KEY)? else {
            return Ok(None);
        };
        Self::decode(&bytes).map(Some)
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + self.chain_id.len());
        out.extend(self.height.to_be_bytes());
        out.extend(self.initial_height.to_be_bytes());
        out.extend(self.block_time.0.to_be_bytes());
        out.extend(self.block_time.1.to_be_bytes());
        out.extend(self.chain_id.as_bytes());
        out
    }

    fn decode(b: &[u8]) -> Result<Self, AbciError> {
        let corrupt = || AbciError::from(SdkError::Internal("corrupt chain metadata".into()));
        if b.len() < 28 {
            return Err(corrupt());
        }
        let u64_at = |i: usize| {
            b[i..i + 8]
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| corrupt())
        };
        Ok(Self {
            height: u64_at(0)?,
            initial_height: u64_at(8)?,
            block_time: (
                b[16..24]
                    .try_into()
                    .map(i64::from_be_bytes)
                    .map_err(|_| corrupt())?,
                b[24..28]
                    .try_into()
                    .map(u32::from_be_bytes)
                    .map_err(|_| corrupt())?,
            ),
            chain_id: String::from_utf8(b[28..].to_vec()).map_err(|_| corrupt())?,
        })
    }
}
