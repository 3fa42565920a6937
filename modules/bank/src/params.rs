#![allow(deprecated)] // `Params.send_enabled` is deprecated upstream; we still honour it.

//! Bank params: which denoms may be sent.

use cosmrs::proto::cosmos::bank::v1beta1::Params;

pub fn default_params() -> Params {
    Params {
        send_enabled: Vec::new(),
        default_send_enabled: true,
    }
}

pub fn send_enabled(p: &Params, denom: &str) -> bool {
    p.send_enabled
        .iter()
        .find(|s| s.denom == denom)
        .map_or(p.default_send_enabled, |s| s.enabled)
}
