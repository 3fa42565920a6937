//! Compiles every `.proto` file under `proto/openledger/` into Rust (prost + tonic) and writes a
//! descriptor set for gRPC server reflection.

use std::path::{Path, PathBuf};

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut protos = Vec::new();
    collect(&root.join("openledger"), &mut protos)?;
    protos.sort();
    println!("cargo:rerun-if-changed=openledger");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    if protos.is_empty() {
        std::fs::write(out_dir.join("openledger_descriptor.bin"), [])?;
        std::fs::write(out_dir.join("openledger_include.rs"), "")?;
        return Ok(());
    }
    tonic_build::configure()
        .build_server(true)
        .build_client(true)
        .file_descriptor_set_path(out_dir.join("openledger_descriptor.bin"))
        .include_file("openledger_include.rs")
        .compile_protos(&protos, &[root])?;
    Ok(())
}
