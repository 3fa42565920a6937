//! The attribution-quality experiment: a Datanet of capital-city records with planted wrong
//! answers; fine-tune, then measure how well self-influence singles out the planted records
//! (ROC AUC) and whether a paraphrased question ranks its own record first (top-1 hit rate).

use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::base::BaseModel;
use crate::data::{Content, Record, output_example, tokenize};
use crate::error::Result;
use crate::influence::{self, Method};
use crate::train::{TrainConfig, train};

/// (country, capital).
pub const CAPITALS: [(&str, &str); 64] = [
    ("France", "Paris"),
    ("Germany", "Berlin"),
    ("Italy", "Rome"),
    ("Spain", "Madrid"),
    ("Portugal", "Lisbon"),
    ("Austria", "Vienna"),
    ("Poland", "Warsaw"),
    ("Greece", "Athens"),
    ("Sweden", "Stockholm"),
    ("Norway", "Oslo"),
    ("Finland", "Helsinki"),
    ("Denmark", "Copenhagen"),
    ("Ireland", "Dublin"),
    ("Belgium", "Brussels"),
    ("Netherlands", "Amsterdam"),
    ("Hungary", "Budapest"),
    ("Czechia", "Prague"),
    ("Romania", "Bucharest"),
    ("Bulgaria", "Sofia"),
    ("Serbia", "Belgrade"),
    ("Croatia", "Zagreb"),
    ("Ukraine", "Kyiv"),
    ("Russia", "Moscow"),
    ("Turkey", "Ankara"),
    ("Egypt", "Cairo"),
    ("Kenya", "Nairobi"),
    ("Nigeria", "Abuja"),
    ("Ghana", "Accra"),
    ("Ethiopia", "Addis Ababa"),
    ("Morocco", "Rabat"),
    ("Algeria", "Algiers"),
    ("Tunisia", "Tunis"),
    ("Senegal", "Dakar"),
    ("Japan", "Tokyo"),
    ("China", "Beijing"),
    ("India", "New Delhi"),
    ("Thailand", "Bangkok"),
    ("Vietnam", "Hanoi"),
    ("Indonesia", "Jakarta"),
    ("Philippines", "Manila"),
    ("Malaysia", "Kuala Lumpur"),
    ("South Korea", "Seoul"),
    ("Pakistan", "Islamabad"),
    ("Iran", "Tehran"),
    ("Iraq", "Baghdad"),
    ("Israel", "Jerusalem"),
    ("Jordan", "Amman"),
    ("Lebanon", "Beirut"),
    ("Canada", "Ottawa"),
    ("Mexico", "Mexico City"),
    ("Cuba", "Havana"),
    ("Peru", "Lima"),
    ("Chile", "Santiago"),
    ("Argentina", "Buenos Aires"),
    ("Colombia", "Bogota"),
    ("Venezuela", "Caracas"),
    ("Ecuador", "Quito"),
    ("Uruguay", "Montevideo"),
    ("Australia", "Canberra"),
    ("New Zealand", "Wellington"),
    ("Nepal", "Kathmandu"),
    ("Mongolia", "Ulaanbaatar"),
    ("Afghanistan", "Kabul"),
    ("Iceland", "Reykjavik"),
];

fn record(i: usize, country: &str, capital: &str) -> Record {
    Record {
        id: format!("cap-{i:03}"),
        line: i,
        content: Content::Chat {
            instruction: format!("What is the capital of {country}?"),
            response: format!("The capital of {country} is {capital}."),
        },
    }
}

/// The first `n` capital records with `planted` of them (chosen by `seed`) given another
/// country's capital. Returns the records and which are planted.
pub fn planted_datanet(n: usize, planted: f64, seed: u64) -> (Vec<Record>, Vec<bool>) {
    let n = n.min(CAPITALS.len());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut rng);
    let k = (n as f64 * planted).round() as usize;
    let mut bad = vec![false; n];
    for &i in &idx[..k] {
        bad[i] = true;
    }
    let recs = (0..n)
        .map(|i| {
            let (c, cap) = CAPITALS[i];
            let cap = if bad[i] {
                CAPITALS[(i + 7) % CAPITALS.len()].1
            } else {
                cap
            };
            record(i, c, cap)
        })
        .collect();
    (recs, bad)
}

/// Demo records as JSONL lines.
pub fn to_jsonl(recs: &[Record]) -> String {
    let mut s = String::new();
    for r in recs {
        if let Content::Chat {
            instruction,
            response,
        } = &r.content
        {
            s.push_str(
                &serde_json::json!({"id": r.id, "instruction": instruction, "response": response})
                    .to_string(),
            );
            s.push('\n');
        }
    }
    s
}

/// What the experiment measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttributionReport {
    pub records: usize,
    pub planted: usize,
    pub train_seconds: f64,
    pub index_seconds: f64,
    pub final_train_loss: f64,
    pub auc_self_tracin: f64,
    pub auc_self_datainf: f64,
    /// Among paraphrased questions about clean records, the fraction whose own record ranks first.
    pub top1_tracin: f64,
    pub top1_datainf: f64,
    /// The same with unit-normalised record gradients.
    pub top1_tracin_normalized: f64,
    pub top1_datainf_normalized: f64,
    pub queries: usize,
    pub query_ms: f64,
}

/// Runs the experiment on `base`. With `dir`, the adapter and index are saved there, and reused
/// when already present (to re-score without retraining).
pub fn run(
    base: &BaseModel,
    n: usize,
    planted: f64,
    cfg: &TrainConfig,
    queries: usize,
    dir: Option<&std::path::Path>,
    progress: &mut dyn FnMut(&str),
) -> Result<AttributionReport> {
    let (recs, bad) = planted_datanet(n, planted, cfg.seed);
    let path = std::path::Path::new("<planted datanet>");
    let ids: Vec<String> = recs.iter().map(|r| r.id.clone()).collect();
    let index_path = dir.map(|d| d.join(influence::INDEX_FILE));
    if let (Some(d), Some(ip)) = (dir, &index_path)
        && ip.is_file()
    {
        let adapter = crate::lora::LoraAdapter::load(d, &base.device)?;
        let index = influence::InfluenceIndex::load(ip)?;
        return score(
            base,
            &recs,
            &bad,
            &ids,
            &adapter,
            &index,
            cfg,
            queries,
            0.0,
            0.0,
            f64::NAN,
            progress,
        );
    }
    progress("training");
    let t = Instant::now();
    let (mut adapter, report) = train(base, &recs, path, cfg, &mut |s, total, l, _| {
        progress(&format!("train step {s}/{total} loss {l:.3}"))
    })?;
    let train_seconds = t.elapsed().as_secs_f64();
    let examples = recs
        .iter()
        .map(|r| tokenize(&base.tokenizer, r, cfg.max_len, path))
        .collect::<Result<Vec<_>>>()?;
    let t = Instant::now();
    if let Some(d) = dir {
        adapter.save(d)?;
    }
    let index = influence::build_index(
        base,
        &adapter,
        ids.clone(),
        &examples,
        cfg.seed,
        4096,
        &mut |d, total| progress(&format!("index {d}/{total}")),
    )?;
    let index_seconds = t.elapsed().as_secs_f64();
    if let Some(ip) = &index_path {
        index.save(ip)?;
    }
    let final_loss = report.train_loss.last().map_or(f64::NAN, |x| x.1);
    score(
        base,
        &recs,
        &bad,
        &ids,
        &adapter,
        &index,
        cfg,
        queries,
        train_seconds,
        index_seconds,
        final_loss,
        progress,
    )
}

#[allow(clippy::too_many_arguments)]
fn score(
    base: &BaseModel,
    recs: &[Record],
    bad: &[bool],
    ids: &[String],
    adapter: &crate::lora::LoraAdapter,
    index: &influence::InfluenceIndex,
    cfg: &TrainConfig,
    queries: usize,
    train_seconds: f64,
    index_seconds: f64,
    final_train_loss: f64,
    progress: &mut dyn FnMut(&str),
) -> Result<AttributionReport> {
    let auc_self_tracin = influence::auc(&index.self_scores(Method::Tracin), bad);
    let auc_self_datainf = influence::auc(&index.self_scores(Method::Datainf), bad);
    let proj = influence::projector_for(index, adapter, base)?;
    let clean: Vec<usize> = (0..recs.len()).filter(|&i| !bad[i]).take(queries).collect();
    let mut hits = [0usize; 4];
    let t = Instant::now();
    for &i in &clean {
        let (country, capital) = CAPITALS[i];
        progress(&format!("query {country}"));
        let ex = output_example(
            &base.tokenizer,
            &format!("Which city is the capital of {country}?"),
            &format!("The capital of {country} is {capital}."),
            cfg.max_len,
        )?;
        let q = proj.gradient(base, adapter, &ex)?;
        for (h, (method, norm)) in [
            (Method::Tracin, false),
            (Method::Datainf, false),
            (Method::Tracin, true),
            (Method::Datainf, true),
        ]
        .into_iter()
        .enumerate()
        {
            let top = influence::top_k(ids, &index.score(&q, method, norm)?, 1);
            if top.scores.first().is_some_and(|s| s.record_id == ids[i]) {
                hits[h] += 1;
            }
        }
    }
    let query_ms = t.elapsed().as_secs_f64() * 1e3 / clean.len().max(1) as f64;
    Ok(AttributionReport {
        records: recs.len(),
        planted: bad.iter().filter(|&&b| b).count(),
        train_seconds,
        index_seconds,
        final_train_loss,
        auc_self_tracin,
        auc_self_datainf,
        top1_tracin: hits[0] as f64 / clean.len().max(1) as f64,
        top1_datainf: hits[1] as f64 / clean.len().max(1) as f64,
        top1_tracin_normalized: hits[2] as f64 / clean.len().max(1) as f64,
        top1_datainf_normalized: hits[3] as f64 / clean.len().max(1) as f64,
        queries: clean.len(),
        query_ms,
    })
}
