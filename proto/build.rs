//! Compiles the `.proto` files under `proto/openledger/` into Rust (prost + tonic) and writes the
//! descriptor sets served by gRPC reflection.
//!
//! Packages that stand alone (`openledger.lora.v1`) always build. With the `chain` feature, the
//! chain's packages (`openledger.datanet.v1`, `openledger.models.v1`, …), which import Cosmos
//! types (`cosmos.base.v1beta1.Coin`, pagination), build too: their imports resolve against the
//! Cosmos SDK's own `.proto` files, which `make setup` downloads as pinned Go modules into the Go
//! module cache (nothing is copied into this repository), and the generated code uses `cosmrs`'
//! types for them. The same feature also builds the descriptor set of the Cosmos services that
//! `openledgerd` serves.

use std::path::{Path, PathBuf};
use std::process::Command;

use prost::Message;

/// Go modules (path, version, proto root inside the module), pinned here and in the Makefile's
/// `proto-deps`.
const GO_MODULES: &[(&str, &str, &str)] = &[
    ("github.com/cosmos/cosmos-sdk", "v0.50.13", "proto"),
    ("github.com/cosmos/gogoproto", "v1.7.0", ""),
    ("github.com/cosmos/cosmos-proto", "v1.0.0-beta.5", "proto"),
    (
        "github.com/grpc-ecosystem/grpc-gateway",
        "v1.16.0",
        "third_party/googleapis",
    ),
    ("github.com/cometbft/cometbft", "v0.38.26", "proto"),
    // The version cosmos-sdk-proto 0.26 (cosmrs 0.21) generated its `cosmwasm` types from.
    ("github.com/CosmWasm/wasmd", "v0.52.0", "proto"),
];

/// The Cosmos services `openledgerd` serves, listed by gRPC reflection.
const COSMOS_SERVICES: &[&str] = &[
    "cosmos/auth/v1beta1/query.proto",
    "cosmos/bank/v1beta1/query.proto",
    "cosmos/bank/v1beta1/tx.proto",
    "cosmos/tx/v1beta1/service.proto",
    "cosmos/base/tendermint/v1beta1/query.proto",
    "cosmos/base/node/v1beta1/query.proto",
    "cosmos/crypto/secp256k1/keys.proto",
    "cosmos/crypto/ed25519/keys.proto",
    "cosmos/staking/v1beta1/query.proto",
    "cosmos/staking/v1beta1/tx.proto",
    "cosmos/distribution/v1beta1/query.proto",
    "cosmos/distribution/v1beta1/tx.proto",
    "cosmos/slashing/v1beta1/query.proto",
    "cosmos/slashing/v1beta1/tx.proto",
    "cosmos/gov/v1/query.proto",
    "cosmos/gov/v1/tx.proto",
    "cosmos/mint/v1beta1/query.proto",
    "cosmos/mint/v1beta1/tx.proto",
    "cosmwasm/wasm/v1/query.proto",
    "cosmwasm/wasm/v1/tx.proto",
];

/// cosmos-sdk-proto ships wasmd's types and clients but no servers: the `cosmwasm.wasm.v1.Query`
/// server is generated here over cosmrs' types.
const WASMD_QUERY: &str = "cosmwasm/wasm/v1/query.proto";

/// Packages under `openledger/` that import nothing from Cosmos (built without `chain`).
const STANDALONE: &[&str] = &["lora"];

type BoxError = Box<dyn std::error::Error>;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}

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
    (!s.is_empty()).then(|| PathBuf::from(s))
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

/// Include directories of the Cosmos `.proto` files.
fn cosmos_includes() -> Result<Vec<PathBuf>, BoxError> {
    let cache = gomodcache().ok_or("cannot find the Go module cache (is Go installed?)")?;
    let mut includes = Vec::new();
    for (module, version, root) in GO_MODULES {
        let dir = cache
            .join(format!("{}@{version}", escape(module)))
            .join(root);
        if !dir.is_dir() {
            return Err(format!("{} is missing: run `make setup`", dir.display()).into());
        }
        includes.push(dir);
    }
    if Path::new("/usr/include/google/protobuf/any.proto").exists() {
        includes.push(PathBuf::from("/usr/include"));
    }
    Ok(includes)
}

/// Runs `protoc` over `files` and returns the descriptor set, imports included.
fn protoc(files: &[PathBuf], includes: &[PathBuf], out: &Path) -> Result<Vec<u8>, BoxError> {
    let protoc = std::env::var("PROTOC").unwrap_or_else(|_| "protoc".into());
    let mut cmd = Command::new(protoc);
    cmd.arg("--include_imports")
        .arg(format!("--descriptor_set_out={}", out.display()));
    for inc in includes {
        cmd.arg(format!("-I{}", inc.display()));
    }
    cmd.args(files);
    let output = cmd.output().map_err(|e| format!("running protoc: {e}"))?;
    if !output.status.success() {
        return Err(format!("protoc failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(std::fs::read(out)?)
}

/// Nested `pub mod`s (`openledger::datanet::v1`) including each package's generated file.
fn include_file(packages: &[String]) -> String {
    fn emit(out: &mut String, prefix: &[&str], packages: &[Vec<&str>]) {
        let depth = prefix.len();
        let mut children: Vec<&str> = packages
            .iter()
            .filter(|p| p.len() > depth && p[..depth] == *prefix)
            .map(|p| p[depth])
            .collect();
        children.dedup();
        for child in children {
            let mut path = prefix.to_vec();
            path.push(child);
            out.push_str(&format!("pub mod {child} {{\n"));
            if packages.contains(&path) {
                for suffix in ["rs", "serde.rs"] {
                    out.push_str(&format!(
                        "include!(concat!(env!(\"OUT_DIR\"), \"/{}.{suffix}\"));\n",
                        path.join(".")
                    ));
                }
            }
            emit(out, &path, packages);
            out.push_str("}\n");
        }
    }
    let split: Vec<Vec<&str>> = packages.iter().map(|p| p.split('.').collect()).collect();
    let mut out = String::from("// @generated by build.rs\n");
    emit(&mut out, &[], &split);
    out
}

/// `OUT_DIR/wasmd/cosmwasm.wasm.v1.rs`: only the `query_server` module, every message type
/// resolved to `cosmrs::proto`.
fn wasmd_query_server(includes: &[PathBuf], out_dir: &Path) -> Result<(), BoxError> {
    let dir = out_dir.join("wasmd");
    std::fs::create_dir_all(&dir)?;
    let fds = prost_types::FileDescriptorSet::decode(
        protoc(
            &[PathBuf::from(WASMD_QUERY)],
            includes,
            &dir.join("query.bin"),
        )?
        .as_slice(),
    )?;
    tonic_build::configure()
        .build_server(true)
        .build_client(false)
        .out_dir(&dir)
        .extern_path(".cosmos", "::cosmrs::proto::cosmos")
        .extern_path(".cosmwasm", "::cosmrs::proto::cosmwasm")
        .compile_fds_with_config(prost_build::Config::new(), fds)?;
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed=openledger");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=GOMODCACHE");
    let chain = std::env::var_os("CARGO_FEATURE_CHAIN").is_some();

    let mut protos = Vec::new();
    collect(&root.join("openledger"), &mut protos)?;
    protos.sort();
    // Without `chain`, only the packages that stand alone.
    if !chain {
        protos.retain(|p| {
            STANDALONE
                .iter()
                .any(|dir| p.starts_with(root.join("openledger").join(dir)))
        });
    }
    let mut includes = vec![root.clone()];
    if chain {
        includes.extend(cosmos_includes()?);
        let cosmos: Vec<PathBuf> = COSMOS_SERVICES.iter().map(PathBuf::from).collect();
        protoc(
            &cosmos,
            &includes[1..],
            &out_dir.join("cosmos_descriptor.bin"),
        )?;
        wasmd_query_server(&includes[1..], &out_dir)?;
    } else {
        std::fs::write(out_dir.join("cosmos_descriptor.bin"), [])?;
    }

    let descriptor = out_dir.join("openledger_descriptor.bin");
    let fds = prost_types::FileDescriptorSet::decode(
        protoc(&protos, &includes, &descriptor)?.as_slice(),
    )?;
    let mut packages: Vec<String> = fds
        .file
        .iter()
        .map(|f| f.package().to_string())
        .filter(|p| p.starts_with("openledger."))
        .collect();
    packages.sort();
    packages.dedup();
    // prost generates a file per package for the imports too (it needs their descriptors to
    // decide derives), but only ours are included: Cosmos types come from cosmrs.
    let mut config = prost_build::Config::new();
    // `prost::Name` (full name, type URL) for packing messages into `Any`.
    config.enable_type_names();
    tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .extern_path(".cosmos", "::cosmrs::proto::cosmos")
        .compile_fds_with_config(config, fds)?;
    // Proto3 JSON (camelCase fields, u64 as strings, bytes as base64, enums by name) for
    // `--output json` and genesis; Cosmos types bring theirs from cosmos-sdk-proto.
    pbjson_build::Builder::new()
        .register_descriptors(&std::fs::read(&descriptor)?)?
        .extern_path(".cosmos", "::cosmrs::proto::cosmos")
        .build(&[".openledger"])?;
    std::fs::write(
        out_dir.join("openledger_include.rs"),
        include_file(&packages),
    )?;
    Ok(())
}
