//! Deterministic aggregation of the validators' results for one request (FinalizeBlock):
//!
//! 1. the output whose sha256 is backed by more than 2/3 of the commit's total voting power wins
//!    (at most one can);
//! 2. per record, the stake-weighted median of the scores of the validators behind that output,
//!    a validator that did not list the record counting as 0 for it;
//! 3. the `top_k` records by that median (ties: lower record id first).
//!
//! Integers only. The GPU or CPU that produced the scores need not be deterministic: the
//! quantised scores and the median make the committed result so, and a minority of validators
//! (by power) reporting noise or garbage cannot move a median outside the honest reporters'
//! range.

use std::collections::{BTreeMap, BTreeSet};

use openledger_framework::Address;
use openledger_proto::openledger::attribution::v1::InferenceResult;

/// One validator's result for a request, as verified from the extended commit.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Consensus address.
    pub validator: Address,
    pub power: i64,
    pub result: &'a InferenceResult,
}

/// The agreed result of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub output: String,
    pub output_sha256: Vec<u8>,
    /// The validators whose result has the winning output, in report order, with their power.
    pub reporters: Vec<(Address, i64)>,
    /// `(record id, median score)`, the top `k` by median, highest first.
    pub scores: Vec<(u64, i64)>,
    /// The stake-weighted median of the reporters' positive-score sums.
    pub positive_sum: i64,
}

/// Whether `power` is more than 2/3 of `total`.
pub fn is_supermajority(power: i64, total: i64) -> bool {
    total > 0 && i128::from(power) * 3 > i128::from(total) * 2
}

/// The lower stake-weighted median of `(value, weight)`: the smallest value at which the
/// cumulative weight reaches half of the total. `None` when the total weight is not positive.
pub fn weighted_median(mut values: Vec<(i64, i64)>) -> Option<i64> {
    values.retain(|&(_, w)| w > 0);
    values.sort_unstable();
    let total: i128 = values.iter().map(|&(_, w)| i128::from(w)).sum();
    if total <= 0 {
        return None;
    }
    let mut acc = 0i128;
    for (v, w) in values {
        acc += i128::from(w);
        if acc * 2 >= total {
            return Some(v);
        }
    }
    None
}

/// Aggregates the reports of one request. `total_power` is the voting power of every validator
/// of the commit (signed or not). `None`: no output has a > 2/3 quorum yet.
pub fn aggregate(reports: &[Report<'_>], total_power: i64, top_k: usize) -> Option<Agreement> {
    // Power behind each output hash; one report per validator (the first one counts).
    let mut seen = BTreeSet::new();
    let mut by_hash: BTreeMap<&[u8], i64> = BTreeMap::new();
    let reports: Vec<&Report<'_>> = reports
        .iter()
        .filter(|r| r.power > 0 && seen.insert(r.validator))
        .collect();
    for r in &reports {
        *by_hash
            .entry(r.result.output_sha256.as_slice())
            .or_default() += r.power;
    }
    let (&hash, _) = by_hash
        .iter()
        .find(|&(_, &p)| is_supermajority(p, total_power))?;
    let winners: Vec<&Report<'_>> = reports
        .into_iter()
        .filter(|r| r.result.output_sha256 == hash)
        .collect();
    let first = winners.first()?;

    let record_ids: BTreeSet<u64> = winners
        .iter()
        .flat_map(|r| r.result.top.iter().map(|s| s.record_id))
        .collect();
    let mut scores: Vec<(u64, i64)> = record_ids
        .into_iter()
        .filter_map(|id| {
            let values = winners
                .iter()
                .map(|r| {
                    let score = r
                        .result
                        .top
                        .iter()
                        .find(|s| s.record_id == id)
                        .map_or(0, |s| s.score);
                    (score, r.power)
                })
                .collect();
            weighted_median(values).map(|m| (id, m))
        })
        .collect();
    scores.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    scores.truncate(top_k);
    let positive_sum = weighted_median(
        winners
            .iter()
            .map(|r| (r.result.positive_sum.max(0), r.power))
            .collect(),
    )
    .unwrap_or(0);
    Some(Agreement {
        output: first.result.output.clone(),
        output_sha256: hash.to_vec(),
        reporters: winners.iter().map(|r| (r.validator, r.power)).collect(),
        scores,
        positive_sum,
    })
}

#[cfg(test)]
mod tests {
    use openledger_proto::openledger::attribution::v1::RecordScore;
    use proptest::prelude::*;

    use super::*;

    fn result(output: &str, top: &[(u64, i64)]) -> InferenceResult {
        use sha2::{Digest, Sha256};
        InferenceResult {
            request_id: 1,
            output: output.to_string(),
            output_sha256: Sha256::digest(output.as_bytes()).to_vec(),
            top: top
                .iter()
                .map(|&(record_id, score)| RecordScore { record_id, score })
                .collect(),
            positive_sum: top
                .iter()
                .fold(0i64, |a, &(_, s)| a.saturating_add(s.max(0))),
        }
    }

    fn val(i: u8) -> Address {
        Address::from([i; 20])
    }

    #[test]
    fn supermajority_is_strictly_more_than_two_thirds() {
        assert!(!is_supermajority(2, 3));
        assert!(is_supermajority(3, 4));
        assert!(!is_supermajority(0, 0));
        assert!(is_supermajority(i64::MAX, i64::MAX));
    }

    #[test]
    fn weighted_median_weighs_by_power() {
        assert_eq!(weighted_median(vec![(1, 1), (5, 1), (9, 1)]), Some(5));
        assert_eq!(weighted_median(vec![(1, 10), (5, 1), (9, 1)]), Some(1));
        // Lower median on an even split.
        assert_eq!(weighted_median(vec![(1, 1), (9, 1)]), Some(1));
        assert_eq!(weighted_median(vec![(1, 0)]), None);
        assert_eq!(weighted_median(vec![]), None);
    }

    #[test]
    fn the_output_with_a_quorum_wins_and_a_missing_record_counts_as_zero() {
        let a = result("yes", &[(1, 900), (2, 500)]);
        let b = result("yes", &[(1, 1000), (3, 800)]);
        let c = result("yes", &[(1, 950), (2, 600)]);
        let odd = result("no", &[(7, 1_000_000)]);
        let reports = [
            Report {
                validator: val(1),
                power: 10,
                result: &a,
            },
            Report {
                validator: val(2),
                power: 10,
                result: &b,
            },
            Report {
                validator: val(3),
                power: 10,
                result: &c,
            },
            Report {
                validator: val(4),
                power: 10,
                result: &odd,
            },
        ];
        let got = aggregate(&reports, 40, 10).expect("quorum");
        assert_eq!(got.output, "yes");
        assert_eq!(got.reporters.len(), 3);
        // Record 1: median of 900, 1000, 950; record 2: of 500, 0, 600; record 3: of 0, 800, 0.
        assert_eq!(got.scores, vec![(1, 950), (2, 500), (3, 0)]);
        // Record 7 came only from the disagreeing validator.
        assert!(got.scores.iter().all(|&(id, _)| id != 7));
        assert_eq!(
            aggregate(&reports, 40, 1).expect("quorum").scores,
            vec![(1, 950)]
        );
    }

    #[test]
    fn no_quorum_without_more_than_two_thirds_and_duplicates_count_once() {
        let a = result("yes", &[(1, 1)]);
        let b = result("no", &[(1, 1)]);
        let reports = [
            Report {
                validator: val(1),
                power: 2,
                result: &a,
            },
            Report {
                validator: val(2),
                power: 1,
                result: &b,
            },
        ];
        assert_eq!(aggregate(&reports, 3, 10), None);
        let reports = [
            Report {
                validator: val(1),
                power: 2,
                result: &a,
            },
            Report {
                validator: val(1),
                power: 2,
                result: &a,
            },
        ];
        assert_eq!(aggregate(&reports, 5, 10), None);
        // Offline validators count in the total.
        let reports = [Report {
            validator: val(1),
            power: 2,
            result: &a,
        }];
        assert_eq!(aggregate(&reports, 3, 10), None);
        assert!(aggregate(&reports, 2, 10).is_some());
    }

    proptest! {
        /// Whatever a minority (by power) reports, each committed median lies within the range of
        /// the honest validators' scores for that record (0 counting for an unlisted record).
        #[test]
        fn a_minority_cannot_move_a_median_outside_the_honest_range(
            honest in proptest::collection::vec(
                (1i64..100, proptest::collection::vec((0u64..6, -1000i64..1000), 0..6)), 3..6),
            liar in proptest::collection::vec((0u64..6, any::<i64>()), 0..6),
        ) {
            let honest_power: i64 = honest.iter().map(|h| h.0).sum();
            // The liar holds strictly less than half of the reporters' power and the honest
            // ones more than 2/3 of the total.
            let liar_power = (honest_power / 2 - 1).max(0).min(honest_power / 3);
            let dedup = |top: &[(u64, i64)]| {
                let mut seen = BTreeSet::new();
                top.iter().copied().filter(|(id, _)| seen.insert(*id)).collect::<Vec<_>>()
            };
            let results: Vec<InferenceResult> =
                honest.iter().map(|(_, top)| result("out", &dedup(top))).collect();
            let liar_result = result("out", &dedup(&liar));
            let mut reports: Vec<Report<'_>> = results
                .iter()
                .zip(&honest)
                .enumerate()
                .map(|(i, (r, h))| Report { validator: val(i as u8 + 1), power: h.0, result: r })
                .collect();
            if liar_power > 0 {
                reports.push(Report { validator: val(200), power: liar_power, result: &liar_result });
            }
            let total = honest_power + liar_power;
            let got = aggregate(&reports, total, 100).expect("the honest ones are a quorum");
            for (id, median) in got.scores {
                let honest_scores: Vec<i64> = results
                    .iter()
                    .map(|r| r.top.iter().find(|s| s.record_id == id).map_or(0, |s| s.score))
                    .collect();
                let lo = *honest_scores.iter().min().expect("some");
                let hi = *honest_scores.iter().max().expect("some");
                prop_assert!(lo <= median && median <= hi, "{median} outside {lo}..={hi}");
            }
        }
    }
}
