//! Proof of Attribution in the block lifecycle: the proposer's injected extended commit
//! (PrepareProposal), its check by every validator (ProcessProposal) and its application in
//! FinalizeBlock. The rules live in `openledger_attribution::extension`; this file only says when
//! they apply and what state they read.
//!
//! Vote extensions exist from CometBFT's `vote_extensions_enable_height` E (a consensus param,
//! recorded in state at InitChain): the votes for block E carry them, so a block above E may
//! begin with the injected extended commit of the block before it, and no other block may carry
//! one. The proposer injects it when at least one vote reports something; blocks with nothing
//! to report stay plain Cosmos blocks (explorers and clients that decode every tx of a block
//! see only transactions). Other validators cannot see the extensions the proposer was given, so
//! a proposer that leaves a commit out only delays those reports: the validators report their
//! results again in the next votes, while the requests are pending.

use openledger_attribution::extension::{
    TrustedCommit, VerifiedCommit, decode_injected, encode_injected, is_injected,
    verify_extended_commit,
};
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, KvRead};
use tendermint_proto::v0_38::abci::ExtendedCommitInfo;

use crate::ante::DecodedTx;
use crate::app_core::AppCore;

/// Whether the block at `height` may begin with an injected extended commit.
pub fn injection_allowed(enable_height: u64, height: u64) -> bool {
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
    // The consensus keys of the commit's validators, read once before the pure check.
    let mut keys = std::collections::BTreeMap::new();
    let signed = tendermint_proto::v0_38::types::BlockIdFlag::Commit as i32;
    for v in trusted.votes.iter().filter(|v| v.flag == signed) {
        if let Some(key) = core.attribution.consensus_key(&mut r, &v.validator)? {
            keys.insert(v.validator, key);
        }
    }
    Ok(verify_extended_commit(
        chain_id,
        commit_height,
        &injected,
        trusted,
        &params,
        |cons| keys.get(cons).copied(),
    )?)
}

/// ProcessProposal's rules for a block at `height` on top of `state`: every transaction decodes,
/// except an injected extended commit, which must be first, verify, and come only when vote
/// extensions are enabled for the previous block. `Err` says why the proposal is rejected.
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
    let allowed = injection_allowed(enable, height);
    let first_injected = txs.first().is_some_and(|t| is_injected(t.as_ref()));
    match (allowed, first_injected) {
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
        (_, false) => {}
    }
    for (i, tx) in txs.iter().enumerate().skip(usize::from(first_injected)) {
        if is_injected(tx.as_ref()) {
            return Err(format!("tx {i} is an extended commit out of place"));
        }
        DecodedTx::decode(tx.as_ref()).map_err(|e| format!("tx {i}: {}", e.message))?;
    }
    Ok(())
}

/// PrepareProposal: the injected extended commit first when given (see
/// [`commit_to_inject`]), then the mempool's transactions in their order, dropping those that do not decode,
/// until `max_tx_bytes` (counted as CometBFT counts them, with each tx's protobuf overhead).
/// The extended commit CometBFT gave (`local_last_commit`) when the block at `height` may carry
/// it and at least one vote reports something.
pub fn commit_to_inject(
    enable_height: u64,
    height: u64,
    local_last_commit: Option<&ExtendedCommitInfo>,
) -> Option<&ExtendedCommitInfo> {
    local_last_commit.filter(|c| {
        injection_allowed(enable_height, height)
            && c.votes.iter().any(|v| !v.vote_extension.is_empty())
    })
}

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
    fn injection_is_allowed_only_above_the_enable_height_and_with_something_to_report() {
        assert!(!injection_allowed(0, 5), "0 means never");
        assert!(!injection_allowed(1, 1), "block 1 has no previous votes");
        assert!(injection_allowed(1, 2));
        assert!(!injection_allowed(10, 10));
        assert!(injection_allowed(10, 11));
        let vote = |ext: &[u8]| tendermint_proto::v0_38::abci::ExtendedVoteInfo {
            vote_extension: ext.to_vec().into(),
            ..Default::default()
        };
        let silent = ExtendedCommitInfo {
            round: 0,
            votes: vec![vote(b""), vote(b"")],
        };
        let reporting = ExtendedCommitInfo {
            round: 0,
            votes: vec![vote(b""), vote(b"\x0a\x00")],
        };
        assert_eq!(commit_to_inject(1, 2, Some(&silent)), None);
        assert_eq!(commit_to_inject(1, 2, Some(&reporting)), Some(&reporting));
        assert_eq!(commit_to_inject(1, 1, Some(&reporting)), None);
        assert_eq!(commit_to_inject(0, 9, Some(&reporting)), None);
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
