//! The GPT-2-style byte-level BPE tokenizer described by a GGUF file's metadata, built with the
//! `tokenizers` crate, and the chat template of instruct models.

use std::collections::HashMap;

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, PreTokenizerWrapper};

use crate::error::{Error, Result};
use crate::gguf::{GgufFile, Value};

/// SmolLM2's default system prompt, used by its chat template when none is given.
pub const DEFAULT_SYSTEM_PROMPT: &str =
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// Everything needed to rebuild a tokenizer: what a GGUF file stores.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenizerSpec {
    pub tokens: Vec<String>,
    pub merges: Vec<String>,
    /// ggml token types: 1 normal, 3 control, 4 user-defined.
    pub token_types: Vec<i32>,
    pub bos: Option<u32>,
    pub eos: u32,
    pub pad: Option<u32>,
    /// Split digits one by one before byte-level splitting (SmolLM's pre-tokenizer).
    pub split_digits: bool,
    pub chat_template: Option<String>,
}

impl TokenizerSpec {
    /// Reads the tokenizer metadata of a GGUF file.
    pub fn from_gguf(f: &GgufFile) -> Result<Self> {
        let model = f.get_str("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(Error::Tokenizer(format!(
                "{}: tokenizer model `{model}` is not supported (only gpt2-style byte-level BPE)",
                f.path.display()
            )));
        }
        let strings = |key: &str| -> Result<Vec<String>> {
            f.get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| Error::Tokenizer(format!("{}: missing `{key}`", f.path.display())))?
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        Error::Tokenizer(format!(
                            "{}: `{key}` holds a non-string",
                            f.path.display()
                        ))
                    })
                })
                .collect()
        };
        let tokens = strings("tokenizer.ggml.tokens")?;
        let merges = strings("tokenizer.ggml.merges")?;
        let token_types = match f.get("tokenizer.ggml.token_type").and_then(Value::as_array) {
            Some(v) => v
                .iter()
                .map(|t| t.as_u64().map(|x| x as i32).unwrap_or(1))
                .collect(),
            None => vec![1; tokens.len()],
        };
        let id = |key: &str| f.get(key).and_then(Value::as_u64).map(|v| v as u32);
        let eos = id("tokenizer.ggml.eos_token_id").ok_or_else(|| {
            Error::Tokenizer(format!("{}: missing eos token id", f.path.display()))
        })?;
        let pre = f
            .get("tokenizer.ggml.pre")
            .and_then(Value::as_str)
            .unwrap_or("");
        Ok(TokenizerSpec {
            tokens,
            merges,
            token_types,
            bos: id("tokenizer.ggml.bos_token_id"),
            eos,
            pad: id("tokenizer.ggml.padding_token_id"),
            split_digits: pre == "smollm" || pre == "llama3" || pre == "qwen2",
            chat_template: f
                .get("tokenizer.chat_template")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// Writes this spec into GGUF metadata entries.
    pub fn to_gguf_metadata(&self) -> Vec<(&'static str, Value)> {
        let strs =
            |v: &[String]| Value::Array(v.iter().map(|s| Value::String(s.clone())).collect());
        let mut m = vec![
            ("tokenizer.ggml.model", Value::String("gpt2".into())),
            (
                "tokenizer.ggml.pre",
                Value::String(if self.split_digits { "smollm" } else { "gpt2" }.into()),
            ),
            ("tokenizer.ggml.tokens", strs(&self.tokens)),
            ("tokenizer.ggml.merges", strs(&self.merges)),
            (
                "tokenizer.ggml.token_type",
                Value::Array(self.token_types.iter().map(|&t| Value::I32(t)).collect()),
            ),
            ("tokenizer.ggml.eos_token_id", Value::U32(self.eos)),
        ];
        if let Some(b) = self.bos {
            m.push(("tokenizer.ggml.bos_token_id", Value::U32(b)));
        }
        if let Some(p) = self.pad {
            m.push(("tokenizer.ggml.padding_token_id", Value::U32(p)));
        }
        if let Some(t) = &self.chat_template {
            m.push(("tokenizer.chat_template", Value::String(t.clone())));
        }
        m
    }

    /// A small byte-level vocabulary with ChatML specials, for the tiny test model.
    pub fn tiny() -> Self {
        let mut tokens = vec![
            "<|endoftext|>".to_string(),
            "<|im_start|>".to_string(),
            "<|im_end|>".to_string(),
        ];
        let mut token_types = vec![3, 3, 3];
        let chars = byte_chars();
        for b in 0..=255u8 {
            tokens.push(chars[b as usize].to_string());
            token_types.push(1);
        }
        let mut merges = Vec::new();
        for (a, b) in [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("a", "n")] {
            merges.push(format!("{a} {b}"));
            tokens.push(format!("{a}{b}"));
            token_types.push(1);
        }
        TokenizerSpec {
            tokens,
            merges,
            token_types,
            bos: None,
            eos: 2,
            pad: Some(0),
            split_digits: true,
            chat_template: Some("<|im_start|>{{ role }}\n{{ content }}<|im_end|>\n".into()),
        }
    }
}

/// GPT-2's reversible map from bytes to printable characters.
fn byte_chars() -> Vec<char> {
    let mut printable: Vec<u32> = (b'!' as u32..=b'~' as u32)
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut chars: Vec<u32> = printable.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + n);
            n += 1;
        }
    }
    let mut out = vec![' '; 256];
    for (b, c) in printable.iter().zip(chars) {
        out[*b as usize] = char::from_u32(c).unwrap_or(' ');
    }
    out
}

/// A chat message.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub role: &'a str,
    pub content: &'a str,
}

/// The tokenizer of a model, with its special tokens and chat format.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    pub spec: TokenizerSpec,
    /// Whether the vocabulary has ChatML markers (`<|im_start|>`, `<|im_end|>`).
    pub chatml: bool,
    im_end: Option<u32>,
}

impl Tokenizer {
    pub fn new(spec: TokenizerSpec) -> Result<Self> {
        let vocab: ahash::AHashMap<String, u32> = spec
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let merges = spec
            .merges
            .iter()
            .map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| Error::Tokenizer(format!("malformed merge `{m}`")))
            })
            .collect::<Result<Vec<_>>>()?;
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| Error::Tokenizer(format!("building BPE: {e}")))?;
        let mut inner = tokenizers::Tokenizer::new(bpe);
        let byte_level = ByteLevel::new(false, false, true);
        let pre: PreTokenizerWrapper = if spec.split_digits {
            Sequence::new(vec![Digits::new(true).into(), byte_level.into()]).into()
        } else {
            byte_level.into()
        };
        inner.with_pre_tokenizer(Some(pre));
        inner.with_decoder(Some(ByteLevelDecoder::default()));
        let specials: Vec<AddedToken> = spec
            .tokens
            .iter()
            .zip(&spec.token_types)
            .filter(|(_, t)| **t == 3 || **t == 4)
            .map(|(s, _)| AddedToken::from(s.clone(), true))
            .collect();
        inner.add_special_tokens(&specials);
        let index: HashMap<&str, u32> = spec
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i as u32))
            .collect();
        let im_end = index.get("<|im_end|>").copied();
        let chatml = index.contains_key("<|im_start|>") && im_end.is_some();
        Ok(Tokenizer {
            inner,
            spec,
            chatml,
            im_end,
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.spec.tokens.len()
    }

    /// Token ids of `text`; special tokens written in the text are recognised.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| Error::Tokenizer(format!("encoding: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, true)
            .map_err(|e| Error::Tokenizer(format!("decoding: {e}")))
    }

    /// Tokens that end a generation: EOS and, for chat models, `<|im_end|>`.
    pub fn stop_tokens(&self) -> Vec<u32> {
        let mut v = vec![self.spec.eos];
        if let Some(t) = self.im_end.filter(|&t| t != self.spec.eos) {
            v.push(t);
        }
        v
    }

    /// The prompt text for a conversation, ending with the assistant's turn opened.
    pub fn chat_prompt(&self, messages: &[Message<'_>]) -> String {
        if !self.chatml {
            return messages
                .iter()
                .map(|m| m.content)
                .collect::<Vec<_>>()
                .join("\n");
        }
        let mut s = String::new();
        if messages.first().is_none_or(|m| m.role != "system") {
            s.push_str(&format!(
                "<|im_start|>system\n{DEFAULT_SYSTEM_PROMPT}<|im_end|>\n"
            ));
        }
        for m in messages {
            s.push_str(&format!(
                "<|im_start|>{}\n{}<|im_end|>\n",
                m.role, m.content
            ));
        }
        s.push_str("<|im_start|>assistant\n");
        s
    }

    /// The user-turn prompt for one instruction.
    pub fn instruction_prompt(&self, instruction: &str) -> String {
        self.chat_prompt(&[Message {
            role: "user",
            content: instruction,
        }])
    }

    /// What follows a response in training data: `<|im_end|>` for chat models, else EOS.
    pub fn end_of_turn(&self) -> u32 {
        self.im_end.unwrap_or(self.spec.eos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_tokenizer_round_trips_text_and_specials() {
        let t = Tokenizer::new(TokenizerSpec::tiny()).unwrap();
        assert!(t.chatml);
        let text = "so the cat 123 é!";
        let ids = t.encode(text).unwrap();
        assert_eq!(t.decode(&ids).unwrap(), text);
        // " the" is one merged token; digits are split one by one.
        let the = t.spec.tokens.iter().position(|s| s == "Ġthe").unwrap() as u32;
        assert!(ids.contains(&the));
        let ids = t.encode("<|im_start|>user\nhi<|im_end|>").unwrap();
        assert_eq!(ids[0], 1);
        assert_eq!(*ids.last().unwrap(), 2);
        assert_eq!(t.stop_tokens(), vec![2]);
    }

    #[test]
    fn chat_prompt_uses_chatml_with_default_system() {
        let t = Tokenizer::new(TokenizerSpec::tiny()).unwrap();
        let p = t.instruction_prompt("Name the capital of France.");
        assert!(p.starts_with("<|im_start|>system\n"));
        assert!(p.ends_with(
            "<|im_start|>user\nName the capital of France.<|im_end|>\n<|im_start|>assistant\n"
        ));
    }
}
