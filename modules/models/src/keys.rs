//! Every storage key of the models module.

pub const PREFIX: &str = "models";

pub fn params() -> &'static str {
    "models/params"
}

pub fn next_base_model_id() -> &'static str {
    "models/next_base_model_id"
}

pub fn next_adapter_id() -> &'static str {
    "models/next_adapter_id"
}

pub fn base_model(id: u64) -> String {
    format!("models/base/{id:020}")
}

pub fn all_base_models() -> &'static str {
    "models/base/"
}

pub fn base_model_by_hash(weights_sha256: &str) -> String {
    format!("models/base_by_hash/{weights_sha256}")
}

pub fn adapter(id: u64) -> String {
    format!("models/adapter/{id:020}")
}

pub fn all_adapters() -> &'static str {
    "models/adapter/"
}

pub fn weights_chunk(adapter: u64, chunk: u64) -> String {
    format!("{}{chunk:010}", weights_of(adapter))
}

pub fn weights_of(adapter: u64) -> String {
    format!("models/weights/{adapter:020}/")
}
