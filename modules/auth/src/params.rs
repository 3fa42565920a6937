//! Auth params, the SDK's defaults.

use cosmrs::proto::cosmos::auth::v1beta1::Params;

use crate::error::AuthError;

pub fn default_params() -> Params {
    Params {
        max_memo_characters: 256,
        tx_sig_limit: 7,
        tx_size_cost_per_byte: 10,
        sig_verify_cost_ed25519: 590,
        sig_verify_cost_secp256k1: 1000,
    }
}

pub fn validate(p: &Params) -> Result<(), AuthError> {
    if p.max_memo_characters == 0
        || p.tx_sig_limit == 0
        || p.tx_size_cost_per_byte == 0
        || p.sig_verify_cost_secp256k1 == 0
    {
        return Err(AuthError::Params(
            "every auth param must be positive".into(),
        ));
    }
    Ok(())
}
