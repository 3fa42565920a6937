//! Text generation with a KV cache: greedy or seeded temperature / top-p sampling, stopping at
//! end-of-sequence, for one prompt or a batch of prompts (left-padded), each row optionally with
//! its own adapter.

use burn::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::base::BaseModel;
use crate::error::{Error, Result};
use crate::lora::{LoraBatch, tensor_to_vec};
use crate::model::{Forward, KvCache};

/// How the next token is chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampling {
    /// 0 means greedy.
    pub temperature: f32,
    pub top_p: f32,
    pub seed: u64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            temperature: 0.0,
            top_p: 1.0,
            seed: 0,
        }
    }
}

/// Picks a token from logits.
pub fn sample(logits: &[f32], s: &Sampling, rng: &mut ChaCha8Rng) -> u32 {
    if s.temperature <= 0.0 {
        return argmax(logits);
    }
    let max = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let mut probs: Vec<(u32, f32)> = logits
        .iter()
        .enumerate()
        .map(|(i, &l)| (i as u32, ((l - max) / s.temperature).exp()))
        .collect();
    let total: f32 = probs.iter().map(|p| p.1).sum();
    probs.iter_mut().for_each(|p| p.1 /= total);
    probs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut cum = 0.0;
    let mut keep = probs.len();
    for (i, p) in probs.iter().enumerate() {
        cum += p.1;
        if cum >= s.top_p {
            keep = i + 1;
            break;
        }
    }
    let probs = &probs[..keep];
    let mass: f32 = probs.iter().map(|p| p.1).sum();
    let mut x = rng.r#gen::<f32>() * mass;
    for p in probs {
        x -= p.1;
        if x <= 0.0 {
            return p.0;
        }
    }
    probs.last().map_or(0, |p| p.0)
}

pub fn argmax(v: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best as u32
}

/// One finished generation.
#[derive(Debug, Clone)]
pub struct Generation {
    pub prompt_tokens: Vec<u32>,
    pub tokens: Vec<u32>,
    pub text: String,
}

/// Generates completions of token prompts, all rows in one batch. `lora` applies to the batch
/// (one shared adapter or per-row adapters). `on_token(row, token)` is called as tokens come.
pub fn generate_tokens(
    base: &BaseModel,
    prompts: &[Vec<u32>],
    max_tokens: usize,
    sampling: &Sampling,
    lora: Option<&LoraBatch>,
    mut on_token: impl FnMut(usize, u32),
) -> Result<Vec<Vec<u32>>> {
    let b = prompts.len();
    if b == 0 {
        return Ok(Vec::new());
    }
    let longest = prompts.iter().map(Vec::len).max().unwrap_or(0);
    if prompts.iter().any(Vec::is_empty) {
        return Err(Error::Invalid("empty prompt".into()));
    }
    let ctx = base.config.max_seq_len;
    if longest + 1 > ctx {
        return Err(Error::ContextOverflow {
            tokens: longest,
            context: ctx,
        });
    }
    let max_tokens = max_tokens.min(ctx - longest);
    let pad_id = base.tokenizer.spec.pad.unwrap_or(base.tokenizer.spec.eos);
    let mut ids = Vec::with_capacity(b * longest);
    let mut pad = Vec::with_capacity(b);
    for p in prompts {
        let n = longest - p.len();
        ids.extend(std::iter::repeat_n(pad_id as i64, n));
        ids.extend(p.iter().map(|&t| t as i64));
        pad.push((0..longest).map(|i| i < n).collect::<Vec<_>>());
    }
    let device = &base.device;
    let stops = base.tokenizer.stop_tokens();
    let mut rng = ChaCha8Rng::seed_from_u64(sampling.seed);
    let mut cache = KvCache::new(base.config.num_layers, b);
    let mut input = Tensor::<2, Int>::from_data(TensorData::new(ids, [b, longest]), device);
    let mut pad_ref: Option<Vec<Vec<bool>>> = Some(pad);
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); b];
    let mut done = vec![false; b];
    for _ in 0..max_tokens {
        let t = input.dims()[1];
        let hidden = base.model.hidden(
            input,
            &mut Forward {
                pad: pad_ref.as_deref(),
                cache: Some(&mut cache),
                lora,
            },
        );
        pad_ref = None;
        let last = hidden.narrow(1, t - 1, 1);
        let logits = tensor_to_vec(base.model.logits(last))?;
        let v = base.config.vocab_size;
        let mut next = Vec::with_capacity(b);
        for r in 0..b {
            let tok = if done[r] {
                pad_id
            } else {
                sample(&logits[r * v..(r + 1) * v], sampling, &mut rng)
            };
            if !done[r] {
                if stops.contains(&tok) {
                    done[r] = true;
                } else {
                    out[r].push(tok);
                    on_token(r, tok);
                }
            }
            next.push(tok as i64);
        }
        if done.iter().all(|&d| d) {
            break;
        }
        input = Tensor::<2, Int>::from_data(TensorData::new(next, [b, 1]), device);
    }
    Ok(out)
}

/// Next-token logits after `ids` (no cache, no adapter).
pub fn last_logits(base: &BaseModel, ids: &[u32]) -> Result<Vec<f32>> {
    if ids.is_empty() || ids.len() > base.config.max_seq_len {
        return Err(Error::ContextOverflow {
            tokens: ids.len(),
            context: base.config.max_seq_len,
        });
    }
    let t = Tensor::<2, Int>::from_data(
        TensorData::new(
            ids.iter().map(|&x| x as i64).collect::<Vec<_>>(),
            [1, ids.len()],
        ),
        &base.device,
    );
    let h = base.model.hidden(t, &mut Forward::default());
    tensor_to_vec(base.model.logits(h.narrow(1, ids.len() - 1, 1)))
}

/// Generates a reply to a user prompt (with the chat template for instruct models).
pub fn generate(
    base: &BaseModel,
    prompt: &str,
    max_tokens: usize,
    sampling: &Sampling,
    lora: Option<&LoraBatch>,
) -> Result<Generation> {
    let text = base.tokenizer.instruction_prompt(prompt);
    let prompt_tokens = base.tokenizer.encode(&text)?;
    let tokens = generate_tokens(
        base,
        std::slice::from_ref(&prompt_tokens),
        max_tokens,
        sampling,
        lora,
        |_, _| {},
    )?
    .pop()
    .unwrap_or_default();
    let text = base.tokenizer.decode(&tokens)?;
    Ok(Generation {
        prompt_tokens,
        tokens,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_and_seeded_sampling() {
        let logits = [0.1, 2.0, 0.5, 1.9];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(sample(&logits, &Sampling::default(), &mut rng), 1);
        let s = Sampling {
            temperature: 1.0,
            top_p: 0.9,
            seed: 7,
        };
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..20)
                .map(|_| sample(&logits, &s, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        // top-p 0.9 keeps the three most likely tokens and never the least likely.
        assert!(!draw(7).contains(&0));
        let tight = Sampling {
            top_p: 0.01,
            ..s.clone()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert!((0..10).all(|_| sample(&logits, &tight, &mut rng) == 1));
    }
}
