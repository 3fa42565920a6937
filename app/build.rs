//! Builds the descriptor set of the Cosmos SDK services `openledgerd` serves, for gRPC server
//! reflection (so `grpcurl` and other generic clients can list and call them).
//!
//! The `.proto` files are not copied into this repository: `make setup` downloads the pinned
//! Go modules that publish them (cosmos-sdk, gogoproto, cosmos-proto, grpc-gateway's googleapis,
//! cometbft) into the Go module cache, and this script runs `protoc` over them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Go modules (path, version, proto root inside the module) — pinned in one place, also used by
/// the Makefile through `make proto-deps`.
const MODULES: &[(&str, &str, &str)] = &[
    ("github.com/cosmos/cosmos-sdk", "v0.50.13", "proto"),
    ("github.com/cosmos/gogoproto", "v1.7.0", ""),
    ("github.com/cosmos/cosmos-proto", "v1.0.0-beta.5", "proto"),
    (
        "github.com/grpc-ecosystem/grpc-gateway",
        "v1.16.0",
        "third_party/googleapis",
    ),
    ("github.com/cometbft/cometbft", "v0.38.26", "proto"),
];

const SERVICES: &[&str] = &[
    "cosmos/auth/v1beta1/query.proto",
    "cosmos/bank/v1beta1/query.proto",
    "cosmos/bank/v1beta1/tx.proto",
    "cosmos/tx/v1beta1/service.proto",
    "cosmos/base/tendermint/v1beta1/query.proto",
    "cosmos/base/node/v1beta1/query.proto",
    "cosmos/crypto/secp256k1/keys.proto",
];

fn gomodcache() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("GOMODCACHE") {
        return Some(PathBuf::from(dir));
    }
    let out = Command::new("go")
        .args(["env", "GOMODCACHE"])
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?;
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        Some(PathBuf::from(s))
    }
}

/// The module cache escapes upper-case letters as `!` + lower-case.
fn escape(path: &str) -> String {
    path.chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                format!("!{}", c.to_ascii_lowercase())
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=GOMODCACHE");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let target = out.join("cosmos_descriptor.bin");
    let result = (|| -> Result<(), String> {
        let cache = gomodcache().ok_or("cannot find the Go module cache (is Go installed?)")?;
        let mut includes = Vec::new();
        for (module, version, root) in MODULES {
            let dir = cache
                .join(format!("{}@{version}", escape(module)))
                .join(root);
            if !dir.is_dir() {
                return Err(format!("{} is missing: run `make setup`", dir.display()));
            }
            includes.push(dir);
        }
        let protoc = std::env::var("PROTOC").unwrap_or_else(|_| "protoc".into());
        let mut cmd = Command::new(protoc);
        cmd.arg("--include_imports")
            .arg(format!("--descriptor_set_out={}", target.display()));
        for inc in &includes {
            cmd.arg(format!("-I{}", inc.display()));
        }
        if Path::new("/usr/include/google/protobuf/any.proto").exists() {
            cmd.arg("-I/usr/include");
        }
        cmd.args(SERVICES);
        let output = cmd.output().map_err(|e| format!("running protoc: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "protoc failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(())
    })();
    if let Err(e) = result {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("Cosmos descriptor set for gRPC reflection: {e}");
        }
        println!("cargo:warning=gRPC reflection will not list the Cosmos services: {e}");
        std::fs::write(&target, []).expect("write empty descriptor set");
    }
}
