//! Proof of Attribution in the block lifecycle: the proposer's injected extended commit
//! (PrepareProposal), its check by every validator (ProcessProposal) and its application in
//! FinalizeBlock. The rules live in `openledger_attribution::extension`; this file only says when
//! they apply and what state they read.
//!
//! Vote extensions exist from CometBFT's `vote_extensions_enable_height` E (a consensus param,
//! recorded in state at InitChain): the votes for block E carry them, so every block above E
//! must begin with the injected extended commit of the block before it, and no other block may
//! carry one.

use openledger_attribution::extension::{
    TrustedCommit, VerifiedCommit, decode_injected, encode_injected, is_injected,
    verify_extended_commit,
};
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, KvRead};
use tendermint_proto::v0_38::abci::ExtendedCommitInfo;

use crate::ante::DecodedTx;
use crate::app_core::AppCore;

/// Whether the block at `height` must begin with an injected extended commit.
pub fn injection_required(enable_height: u64, height: u64) -> bool {
    enable_height > 0 && height > enable_height
}

/// Checks an injected extended commit of block `height - 1` against the commit CometBFT gives
/// with block `height`, each signature against the validator's consensus key in `state`.
pub fn verify_injected(
    core: &AppCore,
    state: &dyn KvRead,
    chain_id: &str,
    height: u64,
    tx: &[u8],
    trusted: &TrustedCommit,
) -> Result<VerifiedCommit, AbciError> {
    let mut r = state;
    let params = core.attribution.params(&mut r)?;
    let injected = decode_injected(tx)?;
    let commit_height = height
        .checked_sub(1)
        .ok_or_else(|| SdkError::InvalidRequest("an extended commit in block 0".into()))?;
    let lookup_error = std::cell::RefCell::new(None);
    let verified = verify_extended_commit(
        chain_id,
        commit_height,
        &injected,
        trusted,
        &params,
        |cons| {
            let mut r = state;
            match core.attribution.consensus_key(&mut r, cons) {
                Ok(key) => key,
                Err(e) => {
                    *lookup_error.borrow_mut() = Some(e);
                    None
                }
            }
        },
    );
    if let Some(e) = lookup_error.into_inner() {
        return Err(e);
    }
    Ok(verified?)
}

/// ProcessProposal's rules for a block at `height` on top of `state`: every transaction decodes,
/// except the injected extended commit, which is first, verifies, and is there exactly when
/// vote extensions are enabled for the previous block. `Err` says why the proposal is rejected.
pub fn check_proposal(
    core: &AppCore,
    state: &dyn KvRead,
    chain_id: &str,
    height: u64,
    txs: &[impl AsRef<[u8]>],
    trusted: &TrustedCommit,
) -> Result<(), String> {
    let mut r = state;
    let enable = core
        .attribution
        .vote_extensions_enable_height(&mut r)
        .map_err(|e| e.message)?;
    let required = injection_required(enable, height);
    let first_injected = txs.first().is_some_and(|t| is_injected(t.as_ref()));
    match (required, first_injected) {
        (true, false) => {
            return Err(format!(
                "block {height} does not begin with the extended commit of block {}",
                height - 1
            ));
        }
        (false, true) => {
            return Err(format!(
                "block {height} carries an extended commit, but vote extensions are not \
                 enabled for block {}",
                height.saturating_sub(1)
            ));
        }
        (true, true) => {
            verify_injected(core, state, chain_id, height, txs[0].as_ref(), trusted)
                .map_err(|e| format!("the injected extended commit: {}", e.message))?;
        }
        (false, false) => {}
    }
    for (i, tx) in txs.iter().enumerate().skip(usize::from(first_injected)) {
        if is_injected(tx.as_ref()) {
            return Err(format!("tx {i} is an extended commit out of place"));
        }
        DecodedTx::decode(tx.as_ref()).map_err(|e| format!("tx {i}: {}", e.message))?;
    }
    Ok(())
}

/// PrepareProposal: the injected extended commit first when it is required (and CometBFT gave
/// one), then the mempool's transactions in their order, dropping those that do not decode,
/// until `max_tx_bytes` (counted as CometBFT counts them, with each tx's protobuf overhead).
pub fn prepare_proposal(
    injected: Option<&ExtendedCommitInfo>,
    mempool: Vec<Vec<u8>>,
    max_tx_bytes: usize,
) -> Vec<Vec<u8>> {
    let size = |tx: &[u8]| tx.len() + prost::length_delimiter_len(tx.len()) + 1;
    let mut total = 0usize;
    let mut txs = Vec::new();
    if let Some(commit) = injected {
        let tx = encode_injected(commit);
        total += size(&tx);
        txs.push(tx);
    }
    for tx in mempool {
        if is_injected(&tx) || DecodedTx::decode(&tx).is_err() {
            continue;
        }
        if total + size(&tx) > max_tx_bytes {
            break;
        }
        total += size(&tx);
        txs.push(tx);
    }
    txs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injection_is_required_only_above_the_enable_height() {
        assert!(!injection_required(0, 5), "0 means never");
        assert!(!injection_required(1, 1), "block 1 has no previous votes");
        assert!(injection_required(1, 2));
        assert!(!injection_required(10, 10));
        assert!(injection_required(10, 11));
    }

    #[test]
    fn prepare_puts_the_commit_first_drops_undecodable_and_impostor_txs_and_counts_bytes() {
        let commit = ExtendedCommitInfo {
            round: 0,
            votes: Vec::new(),
        };
        let injected = encode_injected(&commit);
        let overhead = |n: usize| n + prost::length_delimiter_len(n) + 1;
        // Nothing in the mempool decodes as a Cosmos tx; an impostor of the injected commit is
        // dropped as well.
        let mempool = vec![b"garbage".to_vec(), injected.clone()];
        let txs = prepare_proposal(Some(&commit), mempool, 1 << 20);
        assert_eq!(txs, vec![injected.clone()]);
        assert!(overhead(injected.len()) < 1 << 20);
        // Without a commit to inject, only the mempool's txs.
        assert!(prepare_proposal(None, vec![b"garbage".to_vec()], 1 << 20).is_empty());
    }
}
