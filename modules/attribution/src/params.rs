//! Params with their defaults and validation. They change only through gov (`MsgUpdateParams`).

use openledger_framework::Coin;
use openledger_proto::openledger::attribution::v1::Params;

use crate::AttributionError;

/// Basis points in a whole.
pub const BPS: u32 = 10_000;

pub fn default_params() -> Params {
    Params {
        default_price: Some(Coin::new(1_000, "uopen").to_proto()),
        max_prompt_bytes: 2048,
        max_tokens: 64,
        // ~17 min at 5 s blocks: the first request of an adapter builds its influence index
        // (about 1 s per record for SmolLM2 on 2 CPU cores).
        timeout_blocks: 200,
        contributors_bps: 7_000,
        owner_bps: 2_000,
        validators_bps: 1_000,
        top_k: 10,
        max_extension_bytes: 64 * 1024,
        max_results_per_extension: 16,
        max_output_bytes: 4096,
    }
}

pub fn validate(p: &Params) -> Result<(), AttributionError> {
    let invalid = |m: String| AttributionError::Invalid(format!("params: {m}"));
    let price = p
        .default_price
        .as_ref()
        .ok_or_else(|| invalid("default_price is required".into()))?;
    Coin::from_proto(price).map_err(|e| invalid(format!("default_price: {e}")))?;
    let positive = [
        ("max_prompt_bytes", p.max_prompt_bytes),
        ("max_tokens", p.max_tokens),
        ("top_k", p.top_k),
        ("max_extension_bytes", p.max_extension_bytes),
        ("max_results_per_extension", p.max_results_per_extension),
        ("max_output_bytes", p.max_output_bytes),
    ];
    for (name, v) in positive {
        if v == 0 {
            return Err(invalid(format!("{name} must be positive")));
        }
    }
    if p.timeout_blocks == 0 {
        return Err(invalid("timeout_blocks must be positive".into()));
    }
    let sum = u64::from(p.contributors_bps) + u64::from(p.owner_bps) + u64::from(p.validators_bps);
    if sum != u64::from(BPS) {
        return Err(invalid(format!(
            "contributors_bps + owner_bps + validators_bps must be {BPS}, got {sum}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_shares_must_sum_to_a_whole() {
        assert_eq!(validate(&default_params()), Ok(()));
        let mut p = default_params();
        p.owner_bps += 1;
        assert!(validate(&p).is_err());
        let mut p = default_params();
        p.top_k = 0;
        assert!(validate(&p).is_err());
        let mut p = default_params();
        p.default_price = None;
        assert!(validate(&p).is_err());
    }
}
