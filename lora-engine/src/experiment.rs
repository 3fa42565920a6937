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
    pub queries: usize,
    pub query_ms: f64,
}

/// Runs the experiment on `base`.
pub fn run(
    base: &BaseModel,
    n: usize,
    planted: f64,
    cfg: &TrainConfig,
    queries: usize,
    progress: &mut dyn FnMut(&str),
) -> Result<AttributionReport> {
    let (recs, bad) = planted_datanet(n, planted, cfg.seed);
    let path = std::path::Path::new("<planted datanet>");
    progress("training");
    let t = Instant::now();
    let (adapter, report) = train(base, &recs, path, cfg, &mut |s, total, l, _| {
        progress(&format!("train step {s}/{total} loss {l:.3}"))
    })?;
    let train_seconds = t.elapsed().as_secs_f64();
    let examples = recs
        .iter()
        .map(|r| tokenize(&base.tokenizer, r, cfg.max_len, path))
        .collect::<Result<Vec<_>>>()?;
    let ids: Vec<String> = recs.iter().map(|r| r.id.clone()).collect();
    let t = Instant::now();
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
    let auc_self_tracin = influence::auc(&index.self_scores(Method::Tracin), &bad);
    let auc_self_datainf = influence::auc(&index.self_scores(Method::Datainf), &bad);
    let proj = influence::projector_for(&index, &adapter, base)?;
    let clean: Vec<usize> = (0..recs.len()).filter(|&i| !bad[i]).take(queries).collect();
    let (mut hit_t, mut hit_d) = (0usize, 0usize);
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
        let q = proj.gradient(base, &adapter, &ex)?;
        for (method, hits) in [(Method::Tracin, &mut hit_t), (Method::Datainf, &mut hit_d)] {
            let top = influence::top_k(&ids, &index.scores(&q, method)?, 1);
            if top.scores.first().is_some_and(|s| s.record_id == ids[i]) {
                *hits += 1;
            }
        }
    }
    let query_ms = t.elapsed().as_secs_f64() * 1e3 / clean.len().max(1) as f64;
    Ok(AttributionReport {
        records: recs.len(),
        planted: bad.iter().filter(|&&b| b).count(),
        train_seconds,
        index_seconds,
        final_train_loss: report.train_loss.last().map_or(f64::NAN, |x| x.1),
        auc_self_tracin,
        auc_self_datainf,
        top1_tracin: hit_t as f64 / clean.len().max(1) as f64,
        top1_datainf: hit_d as f64 / clean.len().max(1) as f64,
        queries: clean.len(),
        query_ms,
    })
}
