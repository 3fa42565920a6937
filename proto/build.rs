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

/// The Go modules of the Cosmos `.proto` files: `go-modules.txt`, which the Makefile's
/// `proto-deps` downloads (module path, version, proto root inside the module).
const GO_MODULES: &str = include_str!("go-modules.txt");

fn go_modules() -> Result<Vec<(&'static str, &'static str, &'static str)>, BoxError> {
    GO_MODULES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [module, version, root] => Ok((module, version, root)),
            _ => Err(format!("go-modules.txt: expected `module version root`, got {l:?}").into()),
        })
        .collect()
}

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

/// Include directories of the Cosmos `.proto` files. protobuf's well-known types
/// (`google/protobuf/*.proto`) come with `protox`, so nothing is read from the system.
fn cosmos_includes() -> Result<Vec<PathBuf>, BoxError> {
    let cache = gomodcache().ok_or("cannot find the Go module cache (is Go installed?)")?;
    let mut includes = Vec::new();
    for (module, version, root) in go_modules()? {
        let dir = cache
            .join(format!("{}@{version}", escape(module)))
            .join(root);
        if !dir.is_dir() {
            return Err(format!("{} is missing: run `make setup`", dir.display()).into());
        }
        includes.push(dir);
    }
    Ok(includes)
}

/// Compiles `files` (imports included) with `protox`, a protobuf compiler in Rust: the build
/// needs no `protoc` and no system include directory.
fn compile(files: &[PathBuf], includes: &[PathBuf]) -> Result<protox::Compiler, BoxError> {
    let mut compiler = protox::Compiler::new(includes)?;
    compiler.include_imports(true).include_source_info(false);
    compiler
        .open_files(files)
        .map_err(|e| format!("compiling {} .proto files: {e:?}", files.len()))?;
    Ok(compiler)
}

/// The descriptor set of `files` and their imports, written to `out` with every option kept
/// (gogoproto, cosmos_proto, amino: what gRPC reflection serves), and decoded for prost.
fn descriptors(
    files: &[PathBuf],
    includes: &[PathBuf],
    out: &Path,
) -> Result<prost_types::FileDescriptorSet, BoxError> {
    let compiler = compile(files, includes)?;
    std::fs::write(out, compiler.encode_file_descriptor_set())?;
    Ok(compiler.file_descriptor_set())
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
    let fds = descriptors(
        &[PathBuf::from(WASMD_QUERY)],
        includes,
        &dir.join("query.bin"),
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
    println!("cargo:rerun-if-changed=go-modules.txt");
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
        descriptors(
            &cosmos,
            &includes[1..],
            &out_dir.join("cosmos_descriptor.bin"),
        )?;
        wasmd_query_server(&includes[1..], &out_dir)?;
    } else {
        std::fs::write(out_dir.join("cosmos_descriptor.bin"), [])?;
    }

    let descriptor = out_dir.join("openledger_descriptor.bin");
    let fds = descriptors(&protos, &includes, &descriptor)?;
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
