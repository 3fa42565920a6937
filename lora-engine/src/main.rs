//! `openledger-lora`: the command line of the lora-engine.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use openledger_lora::backend::{Backend, device};
use openledger_lora::data::{load_jsonl, output_example, tokenize};
use openledger_lora::generate::{Sampling, generate_tokens};
use openledger_lora::gguf::GgufFile;
use openledger_lora::influence::{self, INDEX_FILE, InfluenceIndex, Method};
use openledger_lora::lora::LoraAdapter;
use openledger_lora::lora::parse_targets;
use openledger_lora::serve::{DirLoader, Engine, EngineConfig};
use openledger_lora::tokenizer::Message;
use openledger_lora::train::{TrainConfig, train};
use openledger_lora::{BaseModel, grpc, models};

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

#[derive(Args, Clone)]
struct ModelArgs {
    /// Base model (.gguf, or a Hugging Face safetensors directory). Defaults to the installed SmolLM2-135M-Instruct.
    #[arg(long, env = "OPENLEDGER_LORA_MODEL")]
    model: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "cpu")]
    backend: Backend,
}

#[derive(Args, Clone)]
struct SampleArgs {
    #[arg(long, default_value_t = 128)]
    max_tokens: usize,
    /// 0 = greedy.
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    #[arg(long, default_value_t = 0.9)]
    top_p: f32,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

impl SampleArgs {
    fn sampling(&self) -> Sampling {
        Sampling {
            temperature: self.temperature,
            top_p: self.top_p,
            seed: self.seed,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Architecture, sizes, tensor types and tokenizer of a GGUF file.
    Info { file: PathBuf },
    /// Prints the completion of a prompt (chat template applied for instruct models).
    Generate {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        adapter: Option<PathBuf>,
        #[command(flatten)]
        sample: SampleArgs,
        prompt: String,
    },
    /// Fine-tunes a LoRA adapter; writes the adapter, its config, its influence index and loss.png.
    Train {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 8)]
        rank: usize,
        #[arg(long, default_value_t = 16.0)]
        alpha: f64,
        #[arg(long, default_value_t = 0.0)]
        dropout: f64,
        /// Comma-separated projections: q,k,v,o,gate,up,down.
        #[arg(long, default_value = "q,v")]
        targets: String,
        #[arg(long, default_value_t = 3)]
        epochs: usize,
        #[arg(long, default_value_t = 2e-3)]
        lr: f64,
        #[arg(long, default_value_t = 8)]
        batch_size: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Fraction of records held out for the eval loss.
        #[arg(long, default_value_t = 0.1)]
        eval_fraction: f64,
        #[arg(long, default_value_t = 256)]
        max_len: usize,
        /// Skip building the influence index.
        #[arg(long)]
        no_index: bool,
        /// Dimensions of the projected gradients in the influence index.
        #[arg(long, default_value_t = 4096)]
        index_dims: usize,
    },
    /// (Re)builds the influence index of an adapter over its training records.
    Index {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        adapter: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 256)]
        max_len: usize,
        #[arg(long, default_value_t = 4096)]
        index_dims: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Generates an answer and names the training records behind it (or, with --self, every
    /// record's self-influence).
    Influence {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        adapter: PathBuf,
        #[arg(long, default_value_t = 10)]
        top_k: usize,
        #[arg(long, value_enum, default_value = "datainf")]
        method: Method,
        /// `json` for machine-readable output.
        #[arg(long)]
        output: Option<String>,
        #[arg(long = "self")]
        self_influence: bool,
        /// Raw inner products instead of unit-normalised record gradients (cosine scores,
        /// TrackStar-style, the default for queries).
        #[arg(long)]
        raw: bool,
        #[arg(long, default_value_t = 64)]
        max_tokens: usize,
        prompt: Option<String>,
    },
    /// Folds an adapter into the base weights; writes a GGUF file (`--out x.gguf`) or a Hugging
    /// Face safetensors directory (any other `--out`).
    Merge {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        adapter: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// f32, f16 or q8_0.
        #[arg(long, default_value = "f16")]
        dtype: String,
    },
    /// Prints the token ids of a raw text and the next-token logits after it, as JSON (for
    /// comparing with an independent implementation: scripts/reference_logits.py).
    Logits {
        #[command(flatten)]
        model: ModelArgs,
        text: String,
    },
    /// Serves the gRPC service openledger.lora.v1.Engine.
    Serve {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, default_value = "127.0.0.1:50061")]
        listen: std::net::SocketAddr,
        /// Directory of adapters, one sub-directory per adapter id.
        #[arg(long, default_value = "adapters")]
        adapters: PathBuf,
        /// Adapter cache budget in MiB.
        #[arg(long, default_value_t = 1024)]
        cache_mib: usize,
        #[arg(long, default_value_t = 8)]
        max_batch: usize,
    },
    /// Measures speed: generation, training, serving with many adapters, adapter loading, influence queries.
    Bench {
        #[command(flatten)]
        model: ModelArgs,
        /// Comma-separated: gen,train,serve,load,influence (default: all).
        #[arg(long, default_value = "gen,train,serve,load,influence")]
        only: String,
        #[arg(long, default_value_t = 32)]
        tokens: usize,
        /// Largest index size for the influence query timing.
        #[arg(long, default_value_t = 100_000)]
        max_records: usize,
    },
    /// Writes the demo Datanet (capital cities), optionally with planted wrong answers.
    DemoData {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 64)]
        records: usize,
        #[arg(long, default_value_t = 0.0)]
        planted: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// The attribution-quality experiment: planted bad records, AUC of self-influence, top-1 hits.
    Attribution {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long, default_value_t = 64)]
        records: usize,
        #[arg(long, default_value_t = 0.1)]
        planted: f64,
        #[arg(long, default_value_t = 3)]
        epochs: usize,
        #[arg(long, default_value_t = 2e-3)]
        lr: f64,
        #[arg(long, default_value_t = 8)]
        rank: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 16)]
        queries: usize,
        /// Save the adapter and index here; reuse them when present.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Writes the tiny random model of the same architecture (what the tests use) as GGUF.
    TinyModel {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Interactive chat.
    Chat {
        #[command(flatten)]
        model: ModelArgs,
        #[arg(long)]
        adapter: Option<PathBuf>,
        #[command(flatten)]
        sample: SampleArgs,
    },
}

fn load_base(m: &ModelArgs) -> Result<BaseModel> {
    let path = match &m.model {
        Some(p) => p.clone(),
        None => models::default_model_path().context(
            "no --model given and SmolLM2 is not installed: run lora-engine/setup.sh (or set OPENLEDGER_LORA_MODEL)",
        )?,
    };
    let dev = device(m.backend)?;
    Ok(BaseModel::load(&path, &dev)?)
}

fn load_adapter(base: &BaseModel, dir: &Path) -> Result<LoraAdapter> {
    let a = LoraAdapter::load(dir, &base.device)?;
    a.check_base(&base.fingerprint, dir)?;
    Ok(a)
}

fn info(file: &Path) -> Result<()> {
    let f = GgufFile::open(file)?;
    println!("file: {}", file.display());
    println!("GGUF version: {}", f.version);
    let mut kinds = std::collections::BTreeMap::<String, (usize, u64)>::new();
    for t in &f.tensors {
        let e = kinds.entry(t.kind.name()).or_default();
        e.0 += 1;
        e.1 += t.n_elements();
    }
    let total: u64 = f.tensors.iter().map(|t| t.n_elements()).sum();
    println!("tensors: {} ({} parameters)", f.tensors.len(), total);
    for (k, (n, p)) in kinds {
        println!("  {k}: {n} tensors, {p} parameters");
    }
    println!("metadata:");
    for (k, v) in f.metadata_summary() {
        println!("  {k} = {v}");
    }
    match openledger_lora::tokenizer::TokenizerSpec::from_gguf(&f)
        .and_then(openledger_lora::tokenizer::Tokenizer::new)
    {
        Ok(t) => println!(
            "tokenizer: byte-level BPE, {} tokens, {} merges, eos {}, chat template: {}",
            t.vocab_size(),
            t.spec.merges.len(),
            t.spec.eos,
            if t.chatml { "ChatML" } else { "none" }
        ),
        Err(e) => println!("tokenizer: {e}"),
    }
    Ok(())
}

fn bar(total: u64, template: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style);
    }
    pb
}

fn build_index_cmd(
    base: &BaseModel,
    adapter: &LoraAdapter,
    adapter_dir: &Path,
    data: &Path,
    max_len: usize,
    dims: usize,
    seed: u64,
) -> Result<InfluenceIndex> {
    let records = load_jsonl(data)?;
    let examples = records
        .iter()
        .map(|r| tokenize(&base.tokenizer, r, max_len, data))
        .collect::<openledger_lora::Result<Vec<_>>>()?;
    let ids = records.iter().map(|r| r.id.clone()).collect();
    let pb = bar(
        examples.len() as u64,
        "index {bar:30} {pos}/{len} records {per_sec} eta {eta}",
    );
    let idx = influence::build_index(base, adapter, ids, &examples, seed, dims, &mut |d, _| {
        pb.set_position(d as u64)
    })?;
    pb.finish_and_clear();
    let path = adapter_dir.join(INDEX_FILE);
    idx.save(&path)?;
    eprintln!(
        "influence index: {} records x {} dims -> {}",
        idx.len(),
        idx.dims,
        path.display()
    );
    Ok(idx)
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Train {
            model,
            data,
            out,
            rank,
            alpha,
            dropout,
            targets,
            epochs,
            lr,
            batch_size,
            seed,
            eval_fraction,
            max_len,
            no_index,
            index_dims,
        } => {
            let base = load_base(&model)?;
            let records = load_jsonl(&data)?;
            let cfg = TrainConfig {
                rank,
                alpha,
                dropout,
                targets: parse_targets(&targets)?,
                epochs,
                lr,
                batch_size,
                seed,
                eval_fraction,
                max_len,
                ..TrainConfig::default()
            };
            let pb = bar(0, "train {bar:30} step {pos}/{len} loss {msg} eta {eta}");
            let (mut adapter, report) = train(
                &base,
                &records,
                &data,
                &cfg,
                &mut |step, total, loss, rps| {
                    pb.set_length(total as u64);
                    pb.set_position(step as u64);
                    pb.set_message(format!("{loss:.4} ({rps:.2} records/s)"));
                },
            )?;
            pb.finish_and_clear();
            adapter.save(&out)?;
            openledger_lora::plot::loss_curve(
                &out.join("loss.png"),
                &report.train_loss,
                &report.eval_loss,
            )?;
            std::fs::write(
                out.join("train_report.json"),
                serde_json::to_string_pretty(&report)?,
            )?;
            eprintln!(
                "trained {} steps in {:.1}s ({:.2} records/s); final loss {:.4}{}",
                report.steps,
                report.seconds,
                report.records_per_s,
                report.train_loss.last().map_or(f64::NAN, |x| x.1),
                report
                    .eval_loss
                    .last()
                    .map_or(String::new(), |x| format!(", eval loss {:.4}", x.1)),
            );
            eprintln!("adapter written to {}", out.display());
            if !no_index {
                build_index_cmd(&base, &adapter, &out, &data, max_len, index_dims, seed)?;
            }
            Ok(())
        }
        Cmd::Index {
            model,
            adapter,
            data,
            max_len,
            index_dims,
            seed,
        } => {
            let base = load_base(&model)?;
            let a = load_adapter(&base, &adapter)?;
            build_index_cmd(&base, &a, &adapter, &data, max_len, index_dims, seed)?;
            Ok(())
        }
        Cmd::Influence {
            model,
            adapter,
            top_k,
            method,
            output,
            self_influence,
            raw,
            max_tokens,
            prompt,
        } => {
            let json = match output.as_deref() {
                None | Some("text") => false,
                Some("json") => true,
                Some(other) => bail!("unknown --output `{other}` (json or text)"),
            };
            let base = load_base(&model)?;
            let a = load_adapter(&base, &adapter)?;
            let ipath = adapter.join(INDEX_FILE);
            let index = InfluenceIndex::load(&ipath)
                .with_context(|| format!("no usable influence index; build it with `openledger-lora index --adapter {} --data FILE`", adapter.display()))?;
            if self_influence {
                let raw = index.self_scores(method);
                let att = influence::top_k(&index.meta.record_ids, &raw, raw.len());
                if json {
                    println!(
                        "{}",
                        serde_json::to_string(
                            &serde_json::json!({"scores": att.scores, "positive_sum": att.positive_sum})
                        )?
                    );
                } else {
                    for s in &att.scores {
                        println!("{}\t{}", s.record_id, s.score);
                    }
                }
                return Ok(());
            }
            let Some(prompt) = prompt else {
                bail!("give a prompt, or --self for self-influence");
            };
            let batch = a.batch();
            let g = openledger_lora::generate::generate(
                &base,
                &prompt,
                max_tokens,
                &Sampling::default(),
                Some(&batch),
            )?;
            let ex = output_example(&base.tokenizer, &prompt, &g.text, base.config.max_seq_len)?;
            let proj = influence::projector_for(&index, &a, &base)?;
            let q = proj.gradient(&base, &a, &ex)?;
            let raw = index.score(&q, method, !raw)?;
            let att = influence::top_k(&index.meta.record_ids, &raw, top_k);
            if json {
                println!(
                    "{}",
                    serde_json::to_string(
                        &serde_json::json!({"output": g.text, "scores": att.scores, "positive_sum": att.positive_sum})
                    )?
                );
            } else {
                println!("{}\n", g.text);
                println!("top {} records ({:?}):", att.scores.len(), method);
                for s in &att.scores {
                    println!("  {}\t{}", s.record_id, s.score);
                }
                println!("positive_sum {}", att.positive_sum);
            }
            Ok(())
        }
        Cmd::Serve {
            model,
            listen,
            adapters,
            cache_mib,
            max_batch,
        } => {
            let base = load_base(&model)?;
            let backend = format!("{:?}", model.backend).to_lowercase();
            let engine = Engine::start(
                base,
                Box::new(DirLoader(adapters.clone())),
                EngineConfig {
                    cache_budget_bytes: cache_mib << 20,
                    max_batch,
                    ..EngineConfig::default()
                },
            );
            let rt = tokio::runtime::Runtime::new()?;
            eprintln!("openledger.lora.v1.Engine listening on {listen}");
            rt.block_on(grpc::serve(
                grpc::Service {
                    engine,
                    adapter_dir: adapters,
                    backend,
                },
                listen,
            ))?;
            Ok(())
        }
        Cmd::Bench {
            model,
            only,
            tokens,
            max_records,
        } => run_bench(&model, &only, tokens, max_records),
        Cmd::DemoData {
            out,
            records,
            planted,
            seed,
        } => {
            let (recs, _) = openledger_lora::experiment::planted_datanet(records, planted, seed);
            std::fs::write(&out, openledger_lora::experiment::to_jsonl(&recs))?;
            eprintln!("{} records written to {}", recs.len(), out.display());
            Ok(())
        }
        Cmd::Attribution {
            model,
            records,
            planted,
            epochs,
            lr,
            rank,
            seed,
            queries,
            out,
        } => {
            let base = load_base(&model)?;
            let cfg = TrainConfig {
                rank,
                alpha: 2.0 * rank as f64,
                epochs,
                lr,
                seed,
                ..TrainConfig::default()
            };
            let pb = ProgressBar::new_spinner();
            let r = openledger_lora::experiment::run(
                &base,
                records,
                planted,
                &cfg,
                queries,
                out.as_deref(),
                &mut |m: &str| pb.set_message(m.to_string()),
            )?;
            pb.finish_and_clear();
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(())
        }
        Cmd::TinyModel { out, seed } => {
            BaseModel::tiny(seed, &device(Backend::Cpu)?)
                .save_gguf(&out, openledger_lora::gguf::GgmlType::F32)?;
            eprintln!("tiny model written to {}", out.display());
            Ok(())
        }
        Cmd::Logits { model, text } => {
            let base = load_base(&model)?;
            let ids = base.tokenizer.encode(&text)?;
            let v = openledger_lora::generate::last_logits(&base, &ids)?;
            println!(
                "{}",
                serde_json::to_string(&serde_json::json!({"ids": ids, "logits": v}))?
            );
            Ok(())
        }
        Cmd::Merge {
            model,
            adapter,
            out,
            dtype,
        } => {
            let mut base = load_base(&model)?;
            let a = load_adapter(&base, &adapter)?;
            let kind = match dtype.as_str() {
                "f32" => openledger_lora::gguf::GgmlType::F32,
                "f16" => openledger_lora::gguf::GgmlType::F16,
                "q8_0" => openledger_lora::gguf::GgmlType::Q8_0,
                other => bail!("unknown --dtype `{other}` (f32, f16, q8_0)"),
            };
            a.merge_into(&mut base.model);
            if out.extension().is_some_and(|e| e == "gguf") {
                base.save_gguf(&out, kind)?;
            } else {
                base.save_safetensors(&out)?;
            }
            eprintln!("merged model written to {}", out.display());
            Ok(())
        }
        Cmd::Info { file } => info(&file),
        Cmd::Generate {
            model,
            adapter,
            sample,
            prompt,
        } => {
            let base = load_base(&model)?;
            let adapter = adapter.map(|d| load_adapter(&base, &d)).transpose()?;
            let batch = adapter.as_ref().map(LoraAdapter::batch);
            let text = base.tokenizer.instruction_prompt(&prompt);
            let ids = base.tokenizer.encode(&text)?;
            let mut out = std::io::stdout();
            let mut printed = String::new();
            let mut toks = Vec::new();
            generate_tokens(
                &base,
                &[ids],
                sample.max_tokens,
                &sample.sampling(),
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
        Cmd::Chat {
            model,
            adapter,
            sample,
        } => {
            let base = load_base(&model)?;
            let adapter = adapter.map(|d| load_adapter(&base, &d)).transpose()?;
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
                    sample.max_tokens,
                    &sample.sampling(),
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
    }
}

fn run_bench(model: &ModelArgs, only: &str, tokens: usize, max_records: usize) -> Result<()> {
    use openledger_lora::bench;
    let want = |k: &str| only.split(',').any(|p| p.trim() == k);
    let needs_model = ["gen", "train", "serve", "load"].iter().any(|k| want(k));
    let base = if needs_model {
        Some(load_base(model)?)
    } else {
        None
    };
    let mut figs = Vec::new();
    let mut show = |f: bench::Figure| {
        println!("{:<48} {:>12.3} {}", f.name, f.value, f.unit);
        figs.push(f);
    };
    if let Some(base) = &base {
        if want("gen") {
            for b in [1, 8] {
                let tps = bench::generation(base, b, tokens, None)?;
                show(bench::figure(
                    format!("generate tokens/s, batch {b}"),
                    tps,
                    "tokens/s",
                ));
            }
        }
        if want("train") {
            let rps = bench::training(base, 16, 8)?;
            show(bench::figure(
                "train records/s (batch 8, rank 8, q+v)",
                rps,
                "records/s",
            ));
        }
        if want("load") {
            let (ms, bytes) = bench::adapter_load(base)?;
            show(bench::figure("adapter load time (rank 8, q+v)", ms, "ms"));
            show(bench::figure(
                "adapter bytes (rank 8, q+v, f32)",
                bytes as f64,
                "bytes",
            ));
        }
        if want("serve") {
            let max_n = 1000;
            let adapters: Vec<_> = (0..max_n)
                .map(|i| bench::random_adapter(base, 8, i as u64))
                .collect();
            let one = bench::served(base, &adapters[..1], 8, tokens, 1)?;
            show(bench::figure(
                "served tokens/s, batch 8, 1 adapter",
                one,
                "tokens/s",
            ));
            for n in [10, 100, 1000] {
                let tps = bench::served(base, &adapters[..n], 8, tokens, n as u64)?;
                show(bench::figure(
                    format!("served tokens/s, batch 8, {n} adapters (relative)"),
                    100.0 * tps / one,
                    "%",
                ));
            }
        }
    }
    if want("influence") {
        for n in [1_000usize, 10_000, 100_000] {
            if n > max_records {
                break;
            }
            for m in [Method::Tracin, Method::Datainf] {
                let ms = bench::influence_query(n, 4096, 64, m)?;
                show(bench::figure(
                    format!("influence query, {n} records x 4096 dims, {m:?}"),
                    ms,
                    "ms",
                ));
            }
        }
    }
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
