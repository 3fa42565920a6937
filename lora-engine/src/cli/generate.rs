//! `generate`, `chat` and `logits`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use openledger_lora::generate::{generate_tokens, last_logits};
use openledger_lora::lora::LoraAdapter;
use openledger_lora::tokenizer::Message;

use super::{ModelArgs, SampleArgs, load_adapter, load_base};

#[derive(Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long)]
    adapter: Option<PathBuf>,
    #[command(flatten)]
    sample: SampleArgs,
    prompt: String,
}

/// Streams the completion of a prompt to stdout as tokens come.
pub fn generate(a: GenerateArgs) -> Result<()> {
    let base = load_base(&a.model)?;
    let adapter = a.adapter.map(|d| load_adapter(&base, &d)).transpose()?;
    let batch = adapter.as_ref().map(LoraAdapter::batch);
    let text = base.tokenizer.instruction_prompt(&a.prompt);
    let ids = base.tokenizer.encode(&text)?;
    let mut out = std::io::stdout();
    let mut printed = String::new();
    let mut toks = Vec::new();
    generate_tokens(
        &base,
        &[ids],
        a.sample.max_tokens,
        &a.sample.sampling(),
        batch.as_ref(),
        |_, t| {
            toks.push(t);
            if let Ok(s) = base.tokenizer.decode(&toks)
                && s.len() > printed.len()
                && s.is_char_boundary(printed.len())
            {
                let _ = write!(out, "{}", &s[printed.len()..]);
                let _ = out.flush();
                printed = s;
            }
        },
    )?;
    println!();
    Ok(())
}

#[derive(Args)]
pub struct ChatArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long)]
    adapter: Option<PathBuf>,
    #[command(flatten)]
    sample: SampleArgs,
}

/// Reads user turns from stdin until an empty line, answering each with the whole history.
pub fn chat(a: ChatArgs) -> Result<()> {
    let base = load_base(&a.model)?;
    let adapter = a.adapter.map(|d| load_adapter(&base, &d)).transpose()?;
    let batch = adapter.as_ref().map(LoraAdapter::batch);
    let mut history: Vec<(String, String)> = Vec::new();
    let stdin = std::io::stdin();
    eprintln!(
        "chat with {} (empty line or Ctrl-D to quit)",
        base.fingerprint.name
    );
    loop {
        eprint!("> ");
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        history.push(("user".into(), line.trim().to_string()));
        let msgs: Vec<Message<'_>> = history
            .iter()
            .map(|(r, c)| Message {
                role: r,
                content: c,
            })
            .collect();
        let ids = base.tokenizer.encode(&base.tokenizer.chat_prompt(&msgs))?;
        let out = generate_tokens(
            &base,
            &[ids],
            a.sample.max_tokens,
            &a.sample.sampling(),
            batch.as_ref(),
            |_, _| {},
        )?;
        let reply = base
            .tokenizer
            .decode(out.first().map(Vec::as_slice).unwrap_or(&[]))?;
        println!("{reply}");
        history.push(("assistant".into(), reply));
    }
    Ok(())
}

#[derive(Args)]
pub struct LogitsArgs {
    #[command(flatten)]
    model: ModelArgs,
    text: String,
}

/// Prints the token ids of a raw text and the next-token logits after it, as JSON.
pub fn logits(a: LogitsArgs) -> Result<()> {
    let base = load_base(&a.model)?;
    let ids = base.tokenizer.encode(&a.text)?;
    let v = last_logits(&base, &ids)?;
    println!(
        "{}",
        serde_json::to_string(&serde_json::json!({"ids": ids, "logits": v}))?
    );
    Ok(())
}
