//! `openledgerd`: run an OpenLedger validator, manage keys, send transactions, query the chain.
//! The commands are in [`openledgerd::cli`]; this only parses the command line and runs it.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use clap::Parser;

fn main() -> anyhow::Result<()> {
    openledgerd::cli::Cli::parse().run()
}
