//! `keys`: local keys (add, recover, list, show, delete).

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::common::confirm;
use super::output::Output;
use crate::client::keyring::{self, Backend, Keyring};

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Create a key (or recover one from a mnemonic read on stdin with --recover).
    Add {
        name: String,
        #[arg(long)]
        recover: bool,
    },
    List,
    Show {
        name: String,
        /// Print only the address.
        #[arg(short = 'a', long)]
        address: bool,
    },
    Delete {
        name: String,
        #[arg(short = 'y', long)]
        yes: bool,
    },
}

pub fn run(home: &Path, backend: Backend, output: Output, cmd: KeysCmd) -> anyhow::Result<()> {
    let kr = Keyring::new(home, backend);
    match cmd {
        KeysCmd::Add { name, recover } => {
            let (mnemonic, fresh) = if recover {
                eprintln!("> Enter your bip39 mnemonic");
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading mnemonic")?;
                (line.trim().to_string(), false)
            } else {
                (keyring::new_mnemonic()?, true)
            };
            let info = kr.add(&name, &mnemonic)?;
            if output == Output::Json {
                let mut v = serde_json::to_value(&info)?;
                if fresh {
                    v["mnemonic"] = serde_json::json!(mnemonic);
                }
                println!("{v}");
            } else {
                println!(
                    "- address: {}\n  name: {}\n  pubkey: '{}'\n  type: local",
                    info.address, info.name, info.pubkey
                );
                if fresh {
                    println!(
                        "\n**Important** write this mnemonic phrase in a safe place.\nIt is the only way to recover your account if you ever forget your password.\n\n{mnemonic}"
                    );
                }
            }
        }
        KeysCmd::List => {
            let list = kr.list()?;
            if output == Output::Json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for k in list {
                    println!(
                        "- address: {}\n  name: {}\n  type: {}",
                        k.address, k.name, k.kind
                    );
                }
            }
        }
        KeysCmd::Show { name, address } => {
            let info = kr.show(&name)?;
            if address {
                println!("{}", info.address);
            } else if output == Output::Json {
                println!("{}", serde_json::to_string(&info)?);
            } else {
                println!(
                    "- address: {}\n  name: {}\n  pubkey: '{}'\n  type: {}",
                    info.address, info.name, info.pubkey, info.kind
                );
            }
        }
        KeysCmd::Delete { name, yes } => {
            if !yes && !confirm(&format!("delete key {name:?}?"))? {
                bail!("cancelled");
            }
            kr.delete(&name)?;
            println!("key {name:?} deleted");
        }
    }
    Ok(())
}
