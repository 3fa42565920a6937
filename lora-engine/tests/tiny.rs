//! End-to-end behaviour on the tiny random model of the same architecture.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use burn::prelude::*;
use openledger_lora::BaseModel;
use openledger_lora::data::{Content, Record, tokenize};
use openledger_lora::generate::{Sampling, generate_tokens};
use openledger_lora::gguf::GgmlType;
use openledger_lora::influence::{self, InfluenceIndex, Method};
use openledger_lora::lora::{LoraAdapter, LoraBatch, LoraConfig, Target, tensor_to_vec};
use openledger_lora::model::Forward;
use openledger_lora::serve::{DirLoader, Engine, EngineConfig, GenRequest};
use openledger_lora::train::{TrainConfig, train};

fn tiny() -> BaseModel {
    BaseModel::tiny(7, &Device::flex())
}

fn logits(base: &BaseModel, ids: &[u32], lora: Option<&LoraBatch>) -> Vec<f32> {
    let t = Tensor::<2, Int>::from_data(
        TensorData::new(
            ids.iter().map(|&x| x as i64).collect::<Vec<_>>(),
            [1, ids.len()],
        ),
        &base.device,
    );
    tensor_to_vec(base.model.forward(
        t,
        Forward {
            lora,
            ..Default::default()
        },
    ))
    .unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()))
}

fn records() -> Vec<Record> {
    (0..12)
        .map(|i| Record {
            id: format!("r{i}"),
            line: i,
            content: Content::Chat {
                instruction: format!("the number {i}"),
                response: if i % 2 == 0 {
                    "even an".into()
                } else {
                    "odd in".into()
                },
            },
        })
        .collect()
}

fn lora_config(base: &BaseModel, targets: Vec<Target>) -> LoraConfig {
    LoraConfig {
        rank: 4,
        alpha: 8.0,
        dropout: 0.0,
        targets,
        base: base.fingerprint.clone(),
        adapter_sha256: String::new(),
        training: serde_json::Value::Null,
    }
}

/// An adapter with random non-zero B.
fn random_adapter(base: &BaseModel, seed: u64) -> LoraAdapter {
    let mut a = LoraAdapter::init(
        lora_config(base, Target::ALL.to_vec()),
        &base.config,
        seed,
        &base.device,
    );
    base.device.seed(seed);
    for row in a.layers.iter_mut() {
        for m in row.iter_mut() {
            let b = m.b.val();
            m.b = burn::module::Param::from_tensor(
                b.random_like(burn::tensor::Distribution::Normal(0.0, 0.3)),
            );
        }
    }
    a
}

#[test]
fn kv_cache_generation_matches_full_recompute() {
    let base = tiny();
    let prompt: Vec<u32> = base.tokenizer.encode("the cat in the hat").unwrap();
    let out = generate_tokens(
        &base,
        std::slice::from_ref(&prompt),
        12,
        &Sampling::default(),
        None,
        |_, _| {},
    )
    .unwrap();
    // Recompute greedily without a cache.
    let mut ids = prompt.clone();
    let v = base.config.vocab_size;
    let stops = base.tokenizer.stop_tokens();
    let mut expected = Vec::new();
    for _ in 0..12 {
        let l = logits(&base, &ids, None);
        let last = &l[(ids.len() - 1) * v..ids.len() * v];
        let tok = openledger_lora::generate::argmax(last);
        if stops.contains(&tok) {
            break;
        }
        expected.push(tok);
        ids.push(tok);
    }
    assert_eq!(out[0], expected);
}

#[test]
fn batched_left_padded_generation_matches_single_rows() {
    let base = tiny();
    let a = base.tokenizer.encode("the hat").unwrap();
    let b = base
        .tokenizer
        .encode("in an ant the cat sat on it")
        .unwrap();
    let both = generate_tokens(
        &base,
        &[a.clone(), b.clone()],
        8,
        &Sampling::default(),
        None,
        |_, _| {},
    )
    .unwrap();
    let one_a = generate_tokens(&base, &[a], 8, &Sampling::default(), None, |_, _| {}).unwrap();
    let one_b = generate_tokens(&base, &[b], 8, &Sampling::default(), None, |_, _| {}).unwrap();
    assert_eq!(both[0], one_a[0]);
    assert_eq!(both[1], one_b[0]);
}

#[test]
fn gguf_round_trip_keeps_the_model() {
    let base = tiny();
    let dir = tempfile::tempdir().unwrap();
    let ids = base.tokenizer.encode("the cat 12").unwrap();
    let want = logits(&base, &ids, None);
    for (kind, tol) in [
        (GgmlType::F32, 1e-4),
        (GgmlType::F16, 0.05),
        (GgmlType::Q8_0, 0.3),
    ] {
        let path = dir.path().join(format!("tiny-{kind:?}.gguf"));
        base.save_gguf(&path, kind).unwrap();
        let back = BaseModel::load(&path, &base.device).unwrap();
        assert_eq!(back.config, base.config);
        assert_eq!(back.tokenizer.spec, base.tokenizer.spec);
        let got = logits(&back, &ids, None);
        let d = max_diff(&want, &got);
        assert!(d < tol, "{kind:?}: logits differ by {d}");
    }
    // A truncated copy is a clear error naming the file.
    let path = dir.path().join("tiny-F32.gguf");
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.path().join("cut.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = BaseModel::load(&cut, &base.device)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("cut.gguf") && e.contains("truncated"), "{e}");
}

#[test]
fn zero_b_adapter_is_a_no_op_and_merge_matches_applying_it() {
    let mut base = tiny();
    let ids = base.tokenizer.encode("an ant").unwrap();
    let plain = logits(&base, &ids, None);
    let fresh = LoraAdapter::init(
        lora_config(&base, vec![Target::Q, Target::V]),
        &base.config,
        1,
        &base.device,
    );
    assert_eq!(
        max_diff(&plain, &logits(&base, &ids, Some(&fresh.batch()))),
        0.0
    );
    let a = random_adapter(&base, 3);
    let with = logits(&base, &ids, Some(&a.batch()));
    assert!(max_diff(&plain, &with) > 1e-3);
    a.merge_into(&mut base.model);
    assert!(max_diff(&with, &logits(&base, &ids, None)) < 1e-3);
}

#[test]
fn per_row_adapters_match_one_adapter_at_a_time() {
    let base = tiny();
    let a1 = random_adapter(&base, 11);
    let mut cfg = lora_config(&base, vec![Target::Q, Target::Down]);
    cfg.rank = 2;
    let mut a2 = LoraAdapter::init(cfg, &base.config, 12, &base.device);
    for row in a2.layers.iter_mut() {
        for m in row.iter_mut() {
            m.b = burn::module::Param::from_tensor(m.b.val().ones_like() * 0.05);
        }
    }
    let p1 = base.tokenizer.encode("the cat").unwrap();
    let p2 = base.tokenizer.encode("an ant in the hat").unwrap();
    let p3 = base.tokenizer.encode("hat").unwrap();
    let s = Sampling::default();
    let rows = LoraBatch::per_row(&[Some(&a1), Some(&a2), None], &base.config, &base.device);
    let batched = generate_tokens(
        &base,
        &[p1.clone(), p2.clone(), p3.clone()],
        6,
        &s,
        Some(&rows),
        |_, _| {},
    )
    .unwrap();
    let one1 = generate_tokens(&base, &[p1], 6, &s, Some(&a1.batch()), |_, _| {}).unwrap();
    let one2 = generate_tokens(&base, &[p2], 6, &s, Some(&a2.batch()), |_, _| {}).unwrap();
    let one3 = generate_tokens(&base, &[p3], 6, &s, None, |_, _| {}).unwrap();
    assert_eq!(batched[0], one1[0]);
    assert_eq!(batched[1], one2[0]);
    assert_eq!(batched[2], one3[0]);
}

#[test]
fn training_lowers_the_loss_and_the_adapter_round_trips() {
    let base = tiny();
    let recs = records();
    let cfg = TrainConfig {
        rank: 4,
        alpha: 8.0,
        epochs: 4,
        lr: 1e-2,
        batch_size: 4,
        eval_fraction: 0.25,
        targets: vec![Target::Q, Target::V, Target::Up],
        ..TrainConfig::default()
    };
    let path = std::path::Path::new("tiny.jsonl");
    let (mut a, report) = train(&base, &recs, path, &cfg, &mut |_, _, _, _| {}).unwrap();
    assert_eq!(report.steps, 12);
    assert_eq!(report.eval_records, 3);
    let first = report.train_loss[0].1;
    let last = report.train_loss.last().unwrap().1;
    assert!(last < first * 0.8, "loss {first} -> {last}");
    // Same seed, same adapter.
    let (b, _) = train(&base, &recs, path, &cfg, &mut |_, _, _, _| {}).unwrap();
    let ids = base.tokenizer.encode("the number 3").unwrap();
    assert_eq!(
        logits(&base, &ids, Some(&a.batch())),
        logits(&base, &ids, Some(&b.batch()))
    );

    let dir = tempfile::tempdir().unwrap();
    a.save(dir.path()).unwrap();
    assert_eq!(a.config.adapter_sha256.len(), 64);
    openledger_lora::plot::loss_curve(
        &dir.path().join("loss.png"),
        &report.train_loss,
        &report.eval_loss,
    )
    .unwrap();
    assert!(
        std::fs::metadata(dir.path().join("loss.png"))
            .unwrap()
            .len()
            > 1000
    );
    let back = LoraAdapter::load(dir.path(), &base.device).unwrap();
    assert_eq!(back.config, a.config);
    assert!(
        max_diff(
            &logits(&base, &ids, Some(&a.batch())),
            &logits(&base, &ids, Some(&back.batch()))
        ) < 1e-6
    );

    // Tampered weights, wrong base, wrong shape: clear errors.
    let st = dir.path().join("adapter.safetensors");
    let mut bytes = std::fs::read(&st).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    std::fs::write(&st, &bytes).unwrap();
    let e = LoraAdapter::load(dir.path(), &base.device)
        .unwrap_err()
        .to_string();
    assert!(e.contains("sha256"), "{e}");
    let mut other = base.fingerprint.clone();
    other.hidden_size = 576;
    other.name = "SmolLM2".into();
    let e = back.check_base(&other, dir.path()).unwrap_err().to_string();
    assert!(e.contains("not for `SmolLM2`"), "{e}");
    let mut wrong = back.config.clone();
    wrong.rank = 8;
    wrong.adapter_sha256.clear();
    bytes[n - 1] ^= 1;
    let e = LoraAdapter::from_bytes(wrong, &bytes, dir.path(), &base.device)
        .unwrap_err()
        .to_string();
    assert!(e.contains("do not fit rank 8"), "{e}");
}

#[test]
fn influence_finds_the_records_behind_an_output() {
    let base = tiny();
    let recs = records();
    let cfg = TrainConfig {
        rank: 4,
        alpha: 8.0,
        epochs: 3,
        lr: 1e-2,
        batch_size: 4,
        ..TrainConfig::default()
    };
    let path = std::path::Path::new("tiny.jsonl");
    let (a, _) = train(&base, &recs, path, &cfg, &mut |_, _, _, _| {}).unwrap();
    let examples: Vec<_> = recs
        .iter()
        .map(|r| tokenize(&base.tokenizer, r, 256, path).unwrap())
        .collect();
    let ids: Vec<String> = recs.iter().map(|r| r.id.clone()).collect();
    let index =
        influence::build_index(&base, &a, ids.clone(), &examples, 5, 1024, &mut |_, _| {}).unwrap();
    assert_eq!(index.len(), 12);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(influence::INDEX_FILE);
    index.save(&p).unwrap();
    let index = InfluenceIndex::load(&p).unwrap();
    let proj = influence::projector_for(&index, &a, &base).unwrap();
    // The output of record r4 ("even an") is supported most by r4 and its twins with the same
    // answer (the even records), and scoring is deterministic.
    let q = proj.gradient(&base, &a, &examples[4]).unwrap();
    for method in [Method::Tracin, Method::Datainf] {
        let raw = index.scores(&q, method).unwrap();
        let att = influence::top_k(&ids, &raw, 3);
        assert_eq!(att.scores.len(), 3);
        let even = |id: &str| id[1..].parse::<usize>().unwrap() % 2 == 0;
        assert!(
            att.scores.iter().all(|s| even(&s.record_id)),
            "{method:?}: {att:?}"
        );
        let all = influence::top_k(&ids, &raw, 12);
        let rank_r4 = all.scores.iter().position(|s| s.record_id == "r4").unwrap();
        assert!(rank_r4 < 6, "{method:?}: r4 ranked {rank_r4}: {all:?}");
        assert_eq!(att.scores[0].score, 1_000_000);
        assert_eq!(
            att.positive_sum,
            att.scores.iter().map(|s| s.score.max(0)).sum::<i64>()
        );
        let again = influence::top_k(&ids, &index.scores(&q, method).unwrap(), 3);
        assert_eq!(att, again);
        let selfs = index.self_scores(method);
        assert!(selfs.iter().all(|s| *s > 0.0), "{method:?}: {selfs:?}");
    }
}

#[test]
fn serving_batches_adapters_and_respects_the_cache_budget() {
    let base = tiny();
    let dir = tempfile::tempdir().unwrap();
    let mut a1 = random_adapter(&base, 21);
    let mut a2 = random_adapter(&base, 22);
    a1.save(&dir.path().join("one")).unwrap();
    a2.save(&dir.path().join("two")).unwrap();
    let size = a1.byte_size();
    let want1 = generate_tokens(
        &base,
        &[base
            .tokenizer
            .encode(&base.tokenizer.instruction_prompt("the cat"))
            .unwrap()],
        5,
        &Sampling::default(),
        Some(&a1.batch()),
        |_, _| {},
    )
    .unwrap();
    let engine = Engine::start(
        base,
        Box::new(DirLoader(dir.path().to_path_buf())),
        EngineConfig {
            cache_budget_bytes: size + size / 2,
            ..EngineConfig::default()
        },
    );
    let req = |id: Option<&str>, p: &str| GenRequest {
        adapter_id: id.map(str::to_string),
        prompt: p.into(),
        max_tokens: 5,
        sampling: Sampling::default(),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (r1, r2, r3) = rt.block_on(async {
        tokio::join!(
            engine.generate(req(Some("one"), "the cat")),
            engine.generate(req(Some("two"), "an ant")),
            engine.generate(req(None, "hat")),
        )
    });
    let r1 = r1.unwrap();
    assert_eq!(r1.completion_tokens, want1[0].len());
    r2.unwrap();
    r3.unwrap();
    // The budget holds one adapter and a half: only the most recent stays.
    assert_eq!(engine.cache.lock().len(), 1);
    let e = rt
        .block_on(engine.generate(req(Some("missing"), "x")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing"), "{e}");
    let e = rt
        .block_on(engine.generate(req(Some("../etc"), "x")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad adapter id"), "{e}");
}

#[test]
fn prompt_over_the_context_is_an_error() {
    let base = tiny();
    let long = vec![5u32; base.config.max_seq_len + 3];
    let e = generate_tokens(&base, &[long], 4, &Sampling::default(), None, |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not fit the context length"), "{e}");
}

#[test]
fn grpc_service_answers_every_method() {
    use openledger_lora::grpc::{Service, serve_on};
    use openledger_proto::openledger::lora::v1 as pb;
    use pb::engine_client::EngineClient;

    let base = tiny();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::start(
        base,
        Box::new(DirLoader(dir.path().to_path_buf())),
        EngineConfig::default(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let service = Service::new(engine, dir.path().to_path_buf(), "cpu".into());
        tokio::spawn(serve_on(service, listener));
        let mut c = EngineClient::connect(format!("http://{addr}"))
            .await
            .unwrap();
        let h = c.health(pb::HealthRequest {}).await.unwrap().into_inner();
        assert_eq!(h.status, "SERVING");
        assert_eq!(h.base_model, "tiny");
        // Train through the stream: progress, then a final message with the adapter.
        let jsonl = (0..6)
            .map(|i| {
                format!("{{\"id\":\"q{i}\",\"instruction\":\"the {i}\",\"response\":\"an {i}\"}}\n")
            })
            .collect::<String>();
        let mut stream = c
            .train(pb::TrainRequest {
                adapter_id: "t1".into(),
                jsonl,
                rank: 2,
                epochs: 1,
                batch_size: 3,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut msgs = Vec::new();
        while let Some(m) = stream.message().await.unwrap() {
            msgs.push(m);
        }
        let last = msgs.last().unwrap();
        assert!(last.done && last.error.is_empty(), "{last:?}");
        assert_eq!(msgs.len(), 3, "two steps then done");
        assert_eq!(last.adapter.as_ref().unwrap().rank, 2);
        let list = c
            .list_adapters(pb::ListAdaptersRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(list.adapters.len(), 1);
        let g = c
            .generate(pb::GenerateRequest {
                adapter_id: "t1".into(),
                prompt: "the 2".into(),
                max_tokens: 4,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(g.completion_tokens <= 4);
        let inf = c
            .influence(pb::InfluenceRequest {
                adapter_id: "t1".into(),
                prompt: "the 2".into(),
                output: Some("an 2".into()),
                top_k: 3,
                method: pb::InfluenceMethod::Tracin as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(inf.scores.len(), 3);
        assert_eq!(
            inf.positive_sum,
            inf.scores.iter().map(|s| s.score.max(0)).sum::<i64>()
        );
        assert!(
            c.unload_adapter(pb::UnloadAdapterRequest {
                adapter_id: "t1".into()
            })
            .await
            .unwrap()
            .into_inner()
            .was_loaded
        );
        // Reload from the directory the training wrote.
        let l = c
            .load_adapter(pb::LoadAdapterRequest {
                adapter_id: "t1".into(),
                path: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(l.adapter.unwrap().rank, 2);
        let e = c
            .generate(pb::GenerateRequest {
                adapter_id: "nope".into(),
                prompt: "x".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert!(e.message().contains("nope"), "{e:?}");
    });
}

#[test]
fn safetensors_hugging_face_layout_round_trips() {
    let base = tiny();
    let dir = tempfile::tempdir().unwrap();
    base.save_safetensors(dir.path()).unwrap();
    let back = BaseModel::load(dir.path(), &base.device).unwrap();
    assert_eq!(back.config, base.config);
    let ids = base.tokenizer.encode("so the cat 42").unwrap();
    assert_eq!(back.tokenizer.encode("so the cat 42").unwrap(), ids);
    assert!(max_diff(&logits(&base, &ids, None), &logits(&back, &ids, None)) < 1e-5);
    // A missing weight names the file and the tensor.
    std::fs::write(dir.path().join("model.safetensors"), b"not safetensors").unwrap();
    let e = BaseModel::load(dir.path(), &base.device)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("model.safetensors"), "{e}");
}

#[test]
fn quantized_weights_match_the_f32_path() {
    use openledger_lora::WeightFormat;
    let base = tiny();
    let dir = tempfile::tempdir().unwrap();
    // 30 tokens: the prompt takes the dense-GEMM path, each decoded token the streaming kernels.
    let prompt = base
        .tokenizer
        .encode("the cat sat on the hat and the ant sat in the hat so the cat ran")
        .unwrap();
    assert!(prompt.len() > 16, "{}", prompt.len());
    for kind in [GgmlType::Q8_0, GgmlType::Q4_1] {
        let path = dir.path().join(format!("tiny-{kind:?}.gguf"));
        base.save_gguf(&path, kind).unwrap();
        let blocks = BaseModel::load_with(&path, &base.device, WeightFormat::AsStored).unwrap();
        let dense = BaseModel::load_with(&path, &base.device, WeightFormat::F32).unwrap();
        for ids in [&prompt[..3], &prompt[..]] {
            let a = logits(&blocks, ids, None);
            let b = logits(&dense, ids, None);
            let top = b.iter().fold(0f32, |m, x| m.max(x.abs()));
            let d = max_diff(&a, &b);
            assert!(
                d <= 1e-4 * top.max(1.0),
                "{kind:?}: logits differ by {d} (top {top})"
            );
        }
        let s = Sampling::default();
        let g = |m: &BaseModel| {
            generate_tokens(m, std::slice::from_ref(&prompt), 8, &s, None, |_, _| {}).unwrap()
        };
        assert_eq!(g(&blocks), g(&dense), "{kind:?}");
        // LoRA training runs on quantised weights too (gradients flow through the dense path).
        let cfg = TrainConfig {
            rank: 2,
            epochs: 1,
            batch_size: 4,
            ..TrainConfig::default()
        };
        let recs = records();
        let p = std::path::Path::new("tiny.jsonl");
        let (_, ra) = train(&blocks, &recs, p, &cfg, &mut |_, _, _, _| {}).unwrap();
        let (_, rb) = train(&dense, &recs, p, &cfg, &mut |_, _, _, _| {}).unwrap();
        for (x, y) in ra.train_loss.iter().zip(&rb.train_loss) {
            assert!(
                (x.1 - y.1).abs() <= 1e-3 * y.1.abs().max(1.0),
                "{x:?} vs {y:?}"
            );
        }
    }
}
