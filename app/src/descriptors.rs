//! Encoded `FileDescriptorSet` of the Cosmos SDK services served here (built by `build.rs`).

pub const COSMOS_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/cosmos_descriptor.bin"));
