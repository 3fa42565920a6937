//! Splitting an escrowed fee exactly, to the uopen, with largest-remainder rounding.
//!
//! The fee is first split among the three groups by their basis points (contributors, adapter
//! owner, validators), then each group's part among its members by weight (a contributor's
//! positive median scores, a validator's voting power). Each split hands out the floors of the
//! exact shares, then one more uopen to the members with the largest remainders (ties: earlier
//! member first), so every split adds up to what it divides. A group with no member (no record
//! with positive influence, or no validator) passes its part to the adapter owner.

/// `total` split in proportion to `weights` (largest remainder). All-zero or empty weights give
/// all zeros; then the caller decides who gets `total`.
pub fn split(total: u128, weights: &[u128]) -> Vec<u128> {
    let weights = fit_u63(weights);
    let sum: u128 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    // total·w/sum without overflow: sum < 2^63 after `fit_u63`, so (total % sum)·w < 2^126.
    let (q, r) = (total / sum, total % sum);
    let mut shares: Vec<(u128, u128)> = weights
        .iter()
        .map(|&w| (q * w + r * w / sum, r * w % sum))
        .collect();
    let handed: u128 = shares.iter().map(|s| s.0).sum();
    let mut left = total - handed;
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| shares[b].1.cmp(&shares[a].1).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        if shares[i].1 > 0 {
            shares[i].0 += 1;
            left -= 1;
        }
    }
    shares.into_iter().map(|s| s.0).collect()
}

/// Scales weights down (by a power of two, keeping their ratios as far as integers can) until
/// their sum fits in 63 bits.
fn fit_u63(weights: &[u128]) -> Vec<u128> {
    let limit = 1u128 << 63;
    let mut shift = 0;
    loop {
        let sum = weights
            .iter()
            .try_fold(0u128, |acc, &w| acc.checked_add(w >> shift));
        match sum {
            Some(s) if s < limit => return weights.iter().map(|&w| w >> shift).collect(),
            _ => shift += 1,
        }
    }
}

/// What one attribution pays: the owner's amount, each contributor's, each validator's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payouts {
    pub owner: u128,
    pub contributors: Vec<u128>,
    pub validators: Vec<u128>,
}

impl Payouts {
    pub fn total(&self) -> u128 {
        self.owner + self.contributors.iter().sum::<u128>() + self.validators.iter().sum::<u128>()
    }
}

/// Splits `fee` by the params' basis points, then contributors by `contributor_weights` and
/// validators by `validator_powers`.
pub fn payouts(
    fee: u128,
    bps: (u32, u32, u32),
    contributor_weights: &[u128],
    validator_powers: &[u128],
) -> Payouts {
    let (c_bps, o_bps, v_bps) = bps;
    let groups = split(fee, &[c_bps.into(), o_bps.into(), v_bps.into()]);
    let (mut c_part, mut owner, mut v_part) = (groups[0], groups[1], groups[2]);
    if fee > 0 && groups.iter().all(|&g| g == 0) {
        // bps all zero: invalid params, but never lose the fee.
        owner = fee;
    }
    let contributors = split(c_part, contributor_weights);
    if contributors.iter().sum::<u128>() == 0 {
        owner += c_part;
        c_part = 0;
    }
    let validators = split(v_part, validator_powers);
    if validators.iter().sum::<u128>() == 0 {
        owner += v_part;
        v_part = 0;
    }
    debug_assert_eq!(
        contributors.iter().sum::<u128>() + validators.iter().sum::<u128>(),
        c_part + v_part
    );
    Payouts {
        owner,
        contributors,
        validators,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn largest_remainder_adds_up() {
        assert_eq!(split(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(split(100, &[1, 2, 1]), vec![25, 50, 25]);
        assert_eq!(split(7, &[0, 0]), vec![0, 0]);
        assert_eq!(split(0, &[1, 2]), vec![0, 0]);
        assert_eq!(split(5, &[]), Vec::<u128>::new());
        // Largest remainder, not first come: 2/3 and 1/3 of 1.
        assert_eq!(split(1, &[1, 2]), vec![0, 1]);
    }

    #[test]
    fn the_default_split_of_a_fee() {
        // 70 % to contributors by score, 20 % owner, 10 % validators by power.
        let p = payouts(1000, (7000, 2000, 1000), &[3, 1], &[1, 1, 2]);
        assert_eq!(p.contributors, vec![525, 175]);
        assert_eq!(p.owner, 200);
        assert_eq!(p.validators, vec![25, 25, 50]);
        assert_eq!(p.total(), 1000);
    }

    #[test]
    fn with_no_positive_influence_the_contributors_part_goes_to_the_owner() {
        let p = payouts(1000, (7000, 2000, 1000), &[0, 0], &[1]);
        assert_eq!(p.contributors, vec![0, 0]);
        assert_eq!(p.owner, 900);
        assert_eq!(p.validators, vec![100]);
        let p = payouts(1000, (7000, 2000, 1000), &[], &[]);
        assert_eq!(p.owner, 1000);
    }

    #[test]
    fn huge_weights_and_fees_do_not_overflow() {
        let p = payouts(
            u128::MAX / 2,
            (7000, 2000, 1000),
            &[u128::MAX, u128::MAX],
            &[u128::MAX],
        );
        assert_eq!(p.total(), u128::MAX / 2);
        assert!(p.contributors[0].abs_diff(p.contributors[1]) <= 1);
    }

    proptest! {
        #[test]
        fn payouts_always_add_up_to_the_fee(
            fee in 0u128..10_000_000_000_000,
            bps in (0u32..=10_000).prop_flat_map(|c| (Just(c), 0..=10_000 - c))
                .prop_map(|(c, o)| (c, o, 10_000 - c - o)),
            contributors in proptest::collection::vec(0u128..2_000_000, 0..12),
            validators in proptest::collection::vec(0u128..1_000_000_000, 0..8),
        ) {
            let p = payouts(fee, bps, &contributors, &validators);
            prop_assert_eq!(p.total(), fee);
            prop_assert_eq!(p.contributors.len(), contributors.len());
            // A member with no weight gets nothing; a share is within one uopen of exact.
            let c_part: u128 = p.contributors.iter().sum();
            let c_sum: u128 = contributors.iter().sum();
            for (got, w) in p.contributors.iter().zip(&contributors) {
                if *w == 0 { prop_assert_eq!(*got, 0); }
                if c_sum > 0 {
                    let exact = c_part * w;
                    prop_assert!(got * c_sum + c_sum > exact && exact + c_sum > got * c_sum);
                }
            }
        }
    }
}
