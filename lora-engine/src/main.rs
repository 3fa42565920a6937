//! `openledger-lora`: the command line of the lora-engine. This file only parses and dispatches;
//! each subcommand is one function in [`cli`].

#![deny(clippy::unwrap_used)]

mod cli;

use clap::{Parser, Subcommand};

use cli::{bench, generate, influence, model, serve, train};

#[derive(Parser)]
#[command(
    name = "openledger-lora",
    version,
    about = "OpenLedger lora-engine: foundation model, LoRA fine-tuning, adapter serving, influence scores"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Architecture, sizes, tensor types and tokenizer of a GGUF file.
    Info(model::InfoArgs),
    /// Prints the completion of a prompt (chat template applied for instruct models).
    Generate(generate::GenerateArgs),
    /// Fine-tunes a LoRA adapter; writes the adapter, its config, its influence index and loss.png.
    Train(train::TrainArgs),
    /// (Re)builds the influence index of an adapter over its training records.
    Index(train::IndexArgs),
    /// Generates an answer and names the training records behind it (or, with --self, every
    /// record's self-influence).
    Influence(influence::InfluenceArgs),
    /// Folds an adapter into the base weights; writes a GGUF file (`--out x.gguf`) or a Hugging
    /// Face safetensors directory (any other `--out`).
    Merge(model::MergeArgs),
    /// Prints the token ids of a raw text and the next-token logits after it, as JSON (for
    /// comparing with an independent implementation: scripts/reference_logits.py).
    Logits(generate::LogitsArgs),
    /// Serves the gRPC service openledger.lora.v1.Engine.
    Serve(serve::ServeArgs),
    /// Measures speed: generation, training, serving with many adapters, adapter loading, influence queries.
    Bench(bench::BenchArgs),
    /// Batch-1 decode and prefill speed, resident memory and greedy completions, as JSON (what
    /// scripts/bench_engine.py compares with llama.cpp).
    Speed(bench::SpeedArgs),
    /// Writes the demo Datanet (capital cities), optionally with planted wrong answers.
    DemoData(bench::DemoDataArgs),
    /// The attribution-quality experiment: planted bad records, AUC of self-influence, top-1 hits.
    Attribution(bench::AttributionArgs),
    /// Writes the tiny random model of the same architecture (what the tests use) as GGUF.
    TinyModel(model::TinyModelArgs),
    /// Interactive chat.
    Chat(generate::ChatArgs),
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Info(a) => model::info(a),
        Cmd::Generate(a) => generate::generate(a),
        Cmd::Train(a) => train::train(a),
        Cmd::Index(a) => train::index(a),
        Cmd::Influence(a) => influence::influence(a),
        Cmd::Merge(a) => model::merge(a),
        Cmd::Logits(a) => generate::logits(a),
        Cmd::Serve(a) => serve::serve(a),
        Cmd::Bench(a) => bench::bench(a),
        Cmd::Speed(a) => bench::speed(a),
        Cmd::DemoData(a) => bench::demo_data(a),
        Cmd::Attribution(a) => bench::attribution(a),
        Cmd::TinyModel(a) => model::tiny_model(a),
        Cmd::Chat(a) => generate::chat(a),
    }
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
