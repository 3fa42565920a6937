//! Vote extensions and the extended commit the proposer injects into its block.
//!
//! In `ExtendVote` at height H a validator reports the results its engine has finished
//! ([`VoteExtension`]). The proposer of H+1 puts the extended commit of H (every validator's
//! extension with CometBFT's signature over it) in its block as the first transaction,
//! [`encode_injected`]: a magic prefix that no protobuf `TxRaw` can start with (its first tag
//! has wire type 7), then the `tendermint.abci.ExtendedCommitInfo`. `ProcessProposal` and
//! `FinalizeBlock` check it with [`verify_extended_commit`] against the commit CometBFT itself
//! gives them (same validators, powers and flags), each extension signature against the
//! validator's consensus key over CometBFT's canonical vote-extension sign bytes, and that the
//! signatures carry more than 2/3 of the voting power.

use std::collections::BTreeSet;

use openledger_framework::Address;
use openledger_proto::openledger::attribution::v1::{Params, VoteExtension};
use prost::Message;
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci::ExtendedCommitInfo;
use tendermint_proto::v0_38::types::{BlockIdFlag, CanonicalVoteExtension};

use crate::AttributionError;
use crate::aggregate::is_supermajority;

/// The first bytes of the injected transaction. `0xff 0x07` is a protobuf tag of wire type 7,
/// which does not exist: no Cosmos transaction can begin like this.
pub const INJECTED_MAGIC: &[u8] = b"\xff\x07openledger/extended-commit/v1\n";

/// Whether a block transaction is the injected extended commit (or pretends to be).
pub fn is_injected(tx: &[u8]) -> bool {
    tx.starts_with(INJECTED_MAGIC)
}

pub fn encode_injected(commit: &ExtendedCommitInfo) -> Vec<u8> {
    let mut out = INJECTED_MAGIC.to_vec();
    commit.encode(&mut out).unwrap_or_default();
    out
}

pub fn decode_injected(tx: &[u8]) -> Result<ExtendedCommitInfo, AttributionError> {
    let body = tx
        .strip_prefix(INJECTED_MAGIC)
        .ok_or_else(|| AttributionError::InvalidCommit("not an injected extended commit".into()))?;
    ExtendedCommitInfo::decode(body)
        .map_err(|e| AttributionError::InvalidCommit(format!("undecodable extended commit: {e}")))
}

/// CometBFT's sign bytes of a vote extension: the length-delimited `CanonicalVoteExtension`.
pub fn sign_bytes(chain_id: &str, height: i64, round: i64, extension: &[u8]) -> Vec<u8> {
    CanonicalVoteExtension {
        extension: extension.to_vec(),
        height,
        round,
        chain_id: chain_id.to_string(),
    }
    .encode_length_delimited_to_vec()
}

/// Decodes a vote extension and checks its shape against the params: size, number of results,
/// each output's size and hash, top-k length, no repeated request or record ids. An empty
/// extension is valid (nothing to report). It never checks whether the values agree with
/// anyone's: that is what the aggregation is for.
pub fn decode_extension(bytes: &[u8], p: &Params) -> Result<VoteExtension, AttributionError> {
    let bad = |m: String| AttributionError::InvalidExtension(m);
    if bytes.len() > p.max_extension_bytes as usize {
        return Err(bad(format!(
            "{} bytes, over the limit of {}",
            bytes.len(),
            p.max_extension_bytes
        )));
    }
    let ext = VoteExtension::decode(bytes).map_err(|e| bad(format!("undecodable: {e}")))?;
    if ext.results.len() > p.max_results_per_extension as usize {
        return Err(bad(format!(
            "{} results, over the limit of {}",
            ext.results.len(),
            p.max_results_per_extension
        )));
    }
    let mut requests = BTreeSet::new();
    for r in &ext.results {
        if r.request_id == 0 || !requests.insert(r.request_id) {
            return Err(bad(format!(
                "request id {} is zero or repeated",
                r.request_id
            )));
        }
        if r.output.len() > p.max_output_bytes as usize {
            return Err(bad(format!(
                "request {}: output of {} bytes, over the limit of {}",
                r.request_id,
                r.output.len(),
                p.max_output_bytes
            )));
        }
        if r.output_sha256[..] != Sha256::digest(r.output.as_bytes())[..] {
            return Err(bad(format!(
                "request {}: output_sha256 is not the sha256 of the output",
                r.request_id
            )));
        }
        if r.top.len() > p.top_k as usize {
            return Err(bad(format!(
                "request {}: {} scores, over top_k {}",
                r.request_id,
                r.top.len(),
                p.top_k
            )));
        }
        let mut records = BTreeSet::new();
        if !r.top.iter().all(|s| records.insert(s.record_id)) {
            return Err(bad(format!(
                "request {}: a record id is repeated",
                r.request_id
            )));
        }
        if r.positive_sum < 0 {
            return Err(bad(format!(
                "request {}: negative positive_sum",
                r.request_id
            )));
        }
    }
    Ok(ext)
}

/// A vote of the commit CometBFT gives the application (`proposed_last_commit` in
/// ProcessProposal, `decided_last_commit` in FinalizeBlock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitVote {
    /// Consensus address.
    pub validator: Address,
    pub power: i64,
    /// `tendermint.types.BlockIDFlag` (1 absent, 2 commit, 3 nil).
    pub flag: i32,
}

/// The commit CometBFT vouches for: its round and votes, in the validator set's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedCommit {
    pub round: i32,
    pub votes: Vec<CommitVote>,
}

/// A validator's extension, its signature checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedExtension {
    pub validator: Address,
    pub power: i64,
    /// `None` when it does not decode or has a bad shape (it is still counted as a signed
    /// vote, since CometBFT accepted it).
    pub extension: Option<VoteExtension>,
}

/// The verified contents of an injected extended commit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifiedCommit {
    pub extensions: Vec<SignedExtension>,
    /// Voting power of every validator of the commit, signed or not.
    pub total_power: i64,
}

/// Verifies an injected extended commit of `height` (see the module docs). `pubkey_of` gives a
/// consensus address's ed25519 key. Errors name the first check that failed.
pub fn verify_extended_commit(
    chain_id: &str,
    height: u64,
    injected: &ExtendedCommitInfo,
    trusted: &TrustedCommit,
    params: &Params,
    pubkey_of: impl Fn(&Address) -> Option<[u8; 32]>,
) -> Result<VerifiedCommit, AttributionError> {
    let bad = |m: String| AttributionError::InvalidCommit(m);
    if injected.round != trusted.round {
        return Err(bad(format!(
            "round {} is not the commit's round {}",
            injected.round, trusted.round
        )));
    }
    if injected.votes.len() != trusted.votes.len() {
        return Err(bad(format!(
            "{} votes, the commit has {}",
            injected.votes.len(),
            trusted.votes.len()
        )));
    }
    let height = i64::try_from(height).map_err(|_| bad("height out of range".into()))?;
    let mut out = VerifiedCommit::default();
    let mut signed_power = 0i64;
    for (i, (vote, want)) in injected.votes.iter().zip(&trusted.votes).enumerate() {
        let v = vote
            .validator
            .as_ref()
            .ok_or_else(|| bad(format!("vote {i} has no validator")))?;
        let address: [u8; 20] = v
            .address
            .as_ref()
            .try_into()
            .map_err(|_| bad(format!("vote {i}: address is not 20 bytes")))?;
        let address = Address::from(address);
        if address != want.validator || v.power != want.power || vote.block_id_flag != want.flag {
            return Err(bad(format!(
                "vote {i} ({}) differs from the commit's (validator, power or flag)",
                hex::encode_upper(address.as_bytes())
            )));
        }
        out.total_power = out
            .total_power
            .checked_add(v.power.max(0))
            .ok_or_else(|| bad("total power overflows".into()))?;
        if vote.block_id_flag != BlockIdFlag::Commit as i32 {
            if !vote.vote_extension.is_empty() || !vote.extension_signature.is_empty() {
                return Err(bad(format!(
                    "vote {i} is not for the block but carries an extension"
                )));
            }
            continue;
        }
        let key = pubkey_of(&address).ok_or_else(|| {
            bad(format!(
                "vote {i}: no consensus key for {}",
                hex::encode_upper(address.as_bytes())
            ))
        })?;
        if Address::from(cons_address(&key)) != address {
            return Err(bad(format!("vote {i}: the key does not match the address")));
        }
        let msg = sign_bytes(
            chain_id,
            height,
            i64::from(injected.round),
            &vote.vote_extension,
        );
        let verified = ed25519_consensus::VerificationKey::try_from(key)
            .ok()
            .zip(ed25519_consensus::Signature::try_from(vote.extension_signature.as_ref()).ok())
            .is_some_and(|(vk, sig)| vk.verify(&sig, &msg).is_ok());
        if !verified {
            return Err(bad(format!(
                "vote {i} ({}): the extension signature does not verify",
                hex::encode_upper(address.as_bytes())
            )));
        }
        signed_power = signed_power.saturating_add(v.power.max(0));
        out.extensions.push(SignedExtension {
            validator: address,
            power: v.power,
            extension: decode_extension(&vote.vote_extension, params).ok(),
        });
    }
    if !is_supermajority(signed_power, out.total_power) {
        return Err(bad(format!(
            "signed power {signed_power} is not more than 2/3 of {}",
            out.total_power
        )));
    }
    Ok(out)
}

/// CometBFT's address of an ed25519 key: the first 20 bytes of its sha256.
pub fn cons_address(key: &[u8; 32]) -> [u8; 20] {
    let h = Sha256::digest(key);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h[..20]);
    a
}

#[cfg(test)]
mod tests {
    use ed25519_consensus::SigningKey;
    use openledger_proto::openledger::attribution::v1::{InferenceResult, RecordScore};
    use tendermint_proto::v0_38::abci::{ExtendedVoteInfo, Validator};

    use super::*;
    use crate::params::default_params;

    fn keys(n: u8) -> Vec<SigningKey> {
        (1..=n).map(|i| SigningKey::from([i; 32])).collect()
    }

    fn addr(k: &SigningKey) -> Address {
        Address::from(cons_address(&k.verification_key().to_bytes()))
    }

    fn result(id: u64, output: &str) -> InferenceResult {
        InferenceResult {
            request_id: id,
            output: output.into(),
            output_sha256: Sha256::digest(output.as_bytes()).to_vec(),
            top: vec![RecordScore {
                record_id: 3,
                score: 1_000_000,
            }],
            positive_sum: 1_000_000,
        }
    }

    /// An extended commit of `height` where validator i signs `ext[i]` (None: absent).
    fn commit(
        ks: &[SigningKey],
        height: i64,
        ext: &[Option<Vec<u8>>],
    ) -> (ExtendedCommitInfo, TrustedCommit) {
        let mut votes = Vec::new();
        let mut trusted = Vec::new();
        for (k, e) in ks.iter().zip(ext) {
            let a = addr(k);
            let flag = if e.is_some() {
                BlockIdFlag::Commit
            } else {
                BlockIdFlag::Absent
            } as i32;
            let (vote_extension, extension_signature) = match e {
                Some(e) => (
                    e.clone(),
                    k.sign(&sign_bytes("test-1", height, 0, e))
                        .to_bytes()
                        .to_vec(),
                ),
                None => (Vec::new(), Vec::new()),
            };
            votes.push(ExtendedVoteInfo {
                validator: Some(Validator {
                    address: a.as_bytes().to_vec().into(),
                    power: 10,
                }),
                vote_extension: vote_extension.into(),
                extension_signature: extension_signature.into(),
                block_id_flag: flag,
            });
            trusted.push(CommitVote {
                validator: a,
                power: 10,
                flag,
            });
        }
        (
            ExtendedCommitInfo { round: 0, votes },
            TrustedCommit {
                round: 0,
                votes: trusted,
            },
        )
    }

    fn lookup(ks: &[SigningKey]) -> impl Fn(&Address) -> Option<[u8; 32]> + '_ {
        move |a| {
            ks.iter()
                .find(|k| addr(k) == *a)
                .map(|k| k.verification_key().to_bytes())
        }
    }

    #[test]
    fn the_injected_tx_round_trips_and_no_cosmos_tx_looks_like_it() {
        let ks = keys(2);
        let (c, _) = commit(&ks, 5, &[Some(vec![]), None]);
        let tx = encode_injected(&c);
        assert!(is_injected(&tx));
        assert_eq!(decode_injected(&tx), Ok(c));
        assert!(cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(tx.as_slice()).is_err());
        assert!(decode_injected(b"\x0a\x00").is_err());
    }

    #[test]
    fn a_good_commit_verifies_and_yields_the_extensions() {
        let ks = keys(4);
        let p = default_params();
        let ext = VoteExtension {
            results: vec![result(1, "hi")],
        }
        .encode_to_vec();
        let (c, t) = commit(
            &ks,
            7,
            &[Some(ext.clone()), Some(ext.clone()), Some(vec![]), None],
        );
        let v = verify_extended_commit("test-1", 7, &c, &t, &p, lookup(&ks)).expect("valid");
        assert_eq!(v.total_power, 40);
        assert_eq!(v.extensions.len(), 3);
        assert_eq!(
            v.extensions[0].extension.as_ref().map(|e| e.results.len()),
            Some(1)
        );
        assert_eq!(v.extensions[2].extension, Some(VoteExtension::default()));
    }

    #[test]
    fn forged_signatures_too_little_power_and_tampering_are_refused() {
        let ks = keys(4);
        let p = default_params();
        let e = Some(vec![1u8, 2, 3]);
        let (c, t) = commit(&ks, 7, &[e.clone(), e.clone(), e.clone(), None]);
        // Another height or chain: the signatures do not verify.
        let err = verify_extended_commit("test-1", 8, &c, &t, &p, lookup(&ks)).unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");
        assert!(verify_extended_commit("other-1", 7, &c, &t, &p, lookup(&ks)).is_err());
        // A changed extension.
        let mut forged = c.clone();
        forged.votes[1].vote_extension = vec![9u8].into();
        let err = verify_extended_commit("test-1", 7, &forged, &t, &p, lookup(&ks)).unwrap_err();
        assert!(err.to_string().contains("vote 1"), "{err}");
        // A signature by the wrong key.
        let mut forged = c.clone();
        forged.votes[0].extension_signature = ks[3]
            .sign(&sign_bytes("test-1", 7, 0, &[1, 2, 3]))
            .to_bytes()
            .to_vec()
            .into();
        assert!(verify_extended_commit("test-1", 7, &forged, &t, &p, lookup(&ks)).is_err());
        // Two of four signed: not more than 2/3.
        let (c2, t2) = commit(&ks, 7, &[e.clone(), e.clone(), None, None]);
        let err = verify_extended_commit("test-1", 7, &c2, &t2, &p, lookup(&ks)).unwrap_err();
        assert!(err.to_string().contains("not more than 2/3"), "{err}");
        // Votes dropped, powers inflated or flags changed against the trusted commit.
        let mut dropped = c.clone();
        dropped.votes.pop();
        assert!(verify_extended_commit("test-1", 7, &dropped, &t, &p, lookup(&ks)).is_err());
        let mut inflated = c.clone();
        if let Some(v) = inflated.votes[0].validator.as_mut() {
            v.power = 1000;
        }
        assert!(verify_extended_commit("test-1", 7, &inflated, &t, &p, lookup(&ks)).is_err());
        let mut absent = c.clone();
        absent.votes[3].block_id_flag = BlockIdFlag::Commit as i32;
        assert!(verify_extended_commit("test-1", 7, &absent, &t, &p, lookup(&ks)).is_err());
        // An unknown validator key.
        assert!(verify_extended_commit("test-1", 7, &c, &t, &p, |_| None).is_err());
    }

    #[test]
    fn extension_shapes() {
        let p = default_params();
        let ok = VoteExtension {
            results: vec![result(1, "a"), result(2, "b")],
        };
        assert!(decode_extension(&ok.encode_to_vec(), &p).is_ok());
        assert!(decode_extension(&[], &p).is_ok());
        assert!(decode_extension(&[0xff, 0xff, 0xff], &p).is_err());
        let mut bad_hash = ok.clone();
        bad_hash.results[0].output_sha256 = vec![0; 32];
        assert!(decode_extension(&bad_hash.encode_to_vec(), &p).is_err());
        let mut repeated = ok.clone();
        repeated.results[1].request_id = 1;
        assert!(decode_extension(&repeated.encode_to_vec(), &p).is_err());
        let mut dup_record = ok.clone();
        dup_record.results[0].top.push(RecordScore {
            record_id: 3,
            score: 1,
        });
        assert!(decode_extension(&dup_record.encode_to_vec(), &p).is_err());
        let big = VoteExtension {
            results: vec![result(1, &"x".repeat(p.max_output_bytes as usize + 1))],
        };
        assert!(decode_extension(&big.encode_to_vec(), &p).is_err());
        let too_many = VoteExtension {
            results: (1..=u64::from(p.max_results_per_extension) + 1)
                .map(|i| result(i, "o"))
                .collect(),
        };
        assert!(decode_extension(&too_many.encode_to_vec(), &p).is_err());
        let oversize = vec![0u8; p.max_extension_bytes as usize + 1];
        assert!(decode_extension(&oversize, &p).is_err());
    }
}
