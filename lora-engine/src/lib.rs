//! lora-engine: a Llama-architecture foundation model in burn, LoRA fine-tuning, multi-adapter
//! serving and influence scores (the scoring half of Proof of Attribution).
//!
//! Backends are chosen at run time by the burn `Device` ([`backend::device`]): the CPU backend
//! `flex` by default, `wgpu` with the `wgpu` cargo feature.

// Input from outside the process (files, requests) never panics the engine.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod attribution;
pub mod backend;
pub mod base;
pub mod bench;
pub mod data;
pub mod error;
pub mod experiment;
pub mod generate;
pub mod gguf;
pub mod grpc;
pub mod influence;
pub mod lora;
pub mod model;
pub mod models;
pub mod plot;
pub mod quant;
pub mod serve;
pub mod tokenizer;
pub mod train;

pub use base::{BaseModel, WeightFormat};
pub use error::{Error, Result};
