//! Datanet records in JSONL (`{"instruction", "response"}` or `{"text"}`, optional `id`), and
//! their tokenisation for training: the chat template, loss only on response tokens.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::tokenizer::Tokenizer;

/// One training record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The record's `id` field, else its 0-based line number.
    pub id: String,
    pub line: usize,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Chat {
        instruction: String,
        response: String,
    },
    Text(String),
}

/// Parses JSONL; every bad line is an error naming the file and line.
pub fn parse_jsonl(path: &Path, text: &str) -> Result<Vec<Record>> {
    let err = |line: usize, reason: String| Error::Data {
        path: path.to_path_buf(),
        line: line + 1,
        reason,
    };
    let lines: Vec<&str> = text.lines().collect();
    // A trailing empty line is the file's final newline, not a record.
    let n = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |p| p + 1);
    let mut out = Vec::with_capacity(n);
    for (i, line) in lines[..n].iter().enumerate() {
        if line.trim().is_empty() {
            return Err(err(i, "empty line".into()));
        }
        let v: Value =
            serde_json::from_str(line).map_err(|e| err(i, format!("malformed JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| err(i, "not a JSON object".into()))?;
        let s = |k: &str| -> Result<Option<String>> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(err(i, format!("`{k}` is not a string"))),
            }
        };
        let id = match obj.get("id") {
            None | Some(Value::Null) => i.to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(err(i, "`id` must be a string or a number".into())),
        };
        let content = match (s("instruction")?, s("response")?, s("text")?) {
            (Some(instruction), Some(response), _) => {
                if response.is_empty() {
                    return Err(err(i, "empty `response`".into()));
                }
                Content::Chat {
                    instruction,
                    response,
                }
            }
            (None, None, Some(t)) if !t.is_empty() => Content::Text(t),
            _ => {
                return Err(err(
                    i,
                    "expected {\"instruction\", \"response\"} or a non-empty {\"text\"}".into(),
                ));
            }
        };
        out.push(Record {
            id,
            line: i,
            content,
        });
    }
    if out.is_empty() {
        return Err(Error::Data {
            path: path.to_path_buf(),
            line: 0,
            reason: "no records".into(),
        });
    }
    Ok(out)
}

pub fn load_jsonl(path: &Path) -> Result<Vec<Record>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_jsonl(path, &text)
}

/// A tokenised record: `ids`, and for each position whether predicting it counts in the loss.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub ids: Vec<u32>,
    /// `target[i]`: whether token `ids[i]` is a training target (predicted from `ids[..i]`).
    pub target: Vec<bool>,
}

impl Example {
    pub fn num_targets(&self) -> usize {
        self.target.iter().filter(|&&t| t).count()
    }
}

/// Tokenises a record with the chat template; responses (and their end-of-turn token) are the
/// targets. Over-long examples are cut to `max_len`; one with no target left is an error.
pub fn tokenize(tok: &Tokenizer, r: &Record, max_len: usize, path: &Path) -> Result<Example> {
    let (mut ids, mut target) = match &r.content {
        Content::Chat {
            instruction,
            response,
        } => {
            let p = tok.encode(&tok.instruction_prompt(instruction))?;
            let mut resp = tok.encode(response)?;
            resp.push(tok.end_of_turn());
            let target = std::iter::repeat_n(false, p.len())
                .chain(std::iter::repeat_n(true, resp.len()))
                .collect();
            ([p, resp].concat(), target)
        }
        Content::Text(t) => {
            let mut ids = tok.encode(t)?;
            ids.push(tok.spec.eos);
            let mut target = vec![true; ids.len()];
            target[0] = false;
            (ids, target)
        }
    };
    ids.truncate(max_len);
    target.truncate(max_len);
    let ex = Example { ids, target };
    if ex.num_targets() == 0 {
        return Err(Error::Data {
            path: path.to_path_buf(),
            line: r.line + 1,
            reason: format!("no response tokens within the first {max_len} tokens"),
        });
    }
    Ok(ex)
}

/// An example as the text the model is asked about and the answer it gave: used to score an
/// output the same way as a training record.
pub fn output_example(
    tok: &Tokenizer,
    prompt: &str,
    output: &str,
    max_len: usize,
) -> Result<Example> {
    let r = Record {
        id: String::new(),
        line: 0,
        content: Content::Chat {
            instruction: prompt.to_string(),
            response: output.to_string(),
        },
    };
    tokenize(tok, &r, max_len, Path::new("<output>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::TokenizerSpec;

    #[test]
    fn parses_both_forms_and_ids() {
        let text = "{\"instruction\":\"hi\",\"response\":\"there\",\"id\":\"r1\"}\n{\"text\":\"plain\"}\n{\"id\":7,\"instruction\":\"a\",\"response\":\"b\"}\n";
        let r = parse_jsonl(Path::new("d.jsonl"), text).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].id, "r1");
        assert_eq!(r[1].id, "1");
        assert_eq!(r[2].id, "7");
        assert_eq!(r[1].content, Content::Text("plain".into()));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        for (text, want) in [
            ("{\"text\":\"a\"}\n\n{\"text\":\"b\"}", "line 2: empty line"),
            ("{\"text\":\"a\"}\n{oops", "line 2: malformed JSON"),
            ("[1]", "line 1: not a JSON object"),
            ("{\"instruction\":\"x\"}", "line 1: expected"),
            ("{\"text\":5}", "line 1: `text` is not a string"),
            ("", "no records"),
        ] {
            let e = parse_jsonl(Path::new("bad.jsonl"), text)
                .unwrap_err()
                .to_string();
            assert!(e.contains("bad.jsonl") && e.contains(want), "{e}");
        }
    }

    #[test]
    fn loss_only_on_response_tokens() {
        let tok = Tokenizer::new(TokenizerSpec::tiny()).unwrap();
        let r = Record {
            id: "0".into(),
            line: 0,
            content: Content::Chat {
                instruction: "the q".into(),
                response: "an".into(),
            },
        };
        let ex = tokenize(&tok, &r, 512, Path::new("x")).unwrap();
        let resp = tok.encode("an").unwrap();
        assert_eq!(ex.num_targets(), resp.len() + 1);
        assert!(ex.target[ex.ids.len() - 1]);
        assert_eq!(*ex.ids.last().unwrap(), tok.end_of_turn());
        assert!(!ex.target[0]);
        let e = tokenize(&tok, &r, 3, Path::new("x.jsonl"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.jsonl: line 1"), "{e}");
    }
}
