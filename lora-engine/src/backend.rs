//! Run-time choice of the burn backend.

use burn::prelude::Device;

#[cfg_attr(feature = "wgpu", allow(unused_imports))]
use crate::error::{Error, Result};

/// Which backend runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// burn's pure-Rust CPU backend (`flex`).
    Cpu,
    /// GPU through wgpu (build with `--features wgpu`).
    Wgpu,
}

/// The device for a backend.
pub fn device(b: Backend) -> Result<Device> {
    match b {
        Backend::Cpu => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        Backend::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        #[cfg(not(feature = "wgpu"))]
        Backend::Wgpu => Err(Error::Invalid(
            "this binary was built without the `wgpu` feature (cargo build -p openledger-lora --features wgpu)".into(),
        )),
    }
}
