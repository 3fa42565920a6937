//! The record schema of a Datanet: a small subset of JSON Schema that ML datasets need.
//!
//! ```json
//! {"type": "object",
//!  "properties": {"instruction": {"type": "string", "maxLength": 4000},
//!                 "response":    {"type": "string"},
//!                 "tags":        {"type": "array"}},
//!  "required": ["instruction", "response"],
//!  "additionalProperties": false}
//! ```
//!
//! Types: `string` (optional `maxLength`, in characters), `integer`, `number`, `boolean`,
//! `array`, `object`. Validation reads numbers only to classify them (no arithmetic), so it is
//! deterministic.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
}

impl FieldType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => Self::String,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "boolean" => Self::Boolean,
            "array" => Self::Array,
            "object" => Self::Object,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Array => "array",
            Self::Object => "object",
        }
    }

    fn matches(self, v: &Value) -> bool {
        match self {
            Self::String => v.is_string(),
            Self::Integer => v.is_i64() || v.is_u64(),
            Self::Number => v.is_number(),
            Self::Boolean => v.is_boolean(),
            Self::Array => v.is_array(),
            Self::Object => v.is_object(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub ty: FieldType,
    pub max_length: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub properties: BTreeMap<String, Field>,
    pub required: Vec<String>,
    pub additional_properties: bool,
}

impl Schema {
    /// Parses and checks a schema; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let obj = v.as_object().ok_or("the schema must be a JSON object")?;
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "type"
                    | "properties"
                    | "required"
                    | "additionalProperties"
                    | "$schema"
                    | "title"
                    | "description"
            ) {
                return Err(format!("unsupported schema keyword `{key}`"));
            }
        }
        if obj.get("type").and_then(Value::as_str) != Some("object") {
            return Err("the schema's `type` must be \"object\"".into());
        }
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .ok_or("the schema needs a `properties` object")?;
        if props.is_empty() {
            return Err("the schema must declare at least one property".into());
        }
        let mut properties = BTreeMap::new();
        for (name, spec) in props {
            let spec = spec
                .as_object()
                .ok_or_else(|| format!("property `{name}` must be an object"))?;
            let ty = spec
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("property `{name}` needs a `type`"))?;
            let ty = FieldType::parse(ty)
                .ok_or_else(|| format!("property `{name}` has unsupported type `{ty}`"))?;
            let mut max_length = None;
            for (k, val) in spec {
                match k.as_str() {
                    "type" | "description" => {}
                    "maxLength" if ty == FieldType::String => {
                        max_length = Some(val.as_u64().ok_or_else(|| {
                            format!("`maxLength` of `{name}` must be a non-negative integer")
                        })?);
                    }
                    other => {
                        return Err(format!(
                            "unsupported keyword `{other}` in property `{name}`"
                        ));
                    }
                }
            }
            properties.insert(name.clone(), Field { ty, max_length });
        }
        let mut required = Vec::new();
        if let Some(req) = obj.get("required") {
            let req = req
                .as_array()
                .ok_or("`required` must be an array of names")?;
            for r in req {
                let r = r.as_str().ok_or("`required` must be an array of names")?;
                if !properties.contains_key(r) {
                    return Err(format!("required property `{r}` is not declared"));
                }
                if required.iter().any(|x| x == r) {
                    return Err(format!("`{r}` is listed twice in `required`"));
                }
                required.push(r.to_string());
            }
        }
        let additional_properties = match obj.get("additionalProperties") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("`additionalProperties` must be true or false".into()),
        };
        Ok(Schema {
            properties,
            required,
            additional_properties,
        })
    }

    /// Checks one record; the error names the offending field.
    pub fn validate(&self, content: &str) -> Result<(), String> {
        let v: Value =
            serde_json::from_str(content).map_err(|e| format!("record is not JSON: {e}"))?;
        let obj = v.as_object().ok_or("record must be a JSON object")?;
        for r in &self.required {
            if !obj.contains_key(r) {
                return Err(format!("missing required field `{r}`"));
            }
        }
        for (k, val) in obj {
            match self.properties.get(k) {
                Some(field) => {
                    if !field.ty.matches(val) {
                        return Err(format!("field `{k}` must be of type {}", field.ty.name()));
                    }
                    if let (Some(max), Some(s)) = (field.max_length, val.as_str())
                        && s.chars().count() as u64 > max
                    {
                        return Err(format!("field `{k}` is longer than {max} characters"));
                    }
                }
                None if !self.additional_properties => {
                    return Err(format!("unexpected field `{k}`"));
                }
                None => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{"type":"object",
        "properties":{"instruction":{"type":"string","maxLength":20},
                      "response":{"type":"string"},"score":{"type":"integer"}},
        "required":["instruction","response"],"additionalProperties":false}"#;

    #[test]
    fn accepts_matching_records() {
        let s = Schema::parse(SCHEMA).unwrap();
        s.validate(r#"{"instruction":"hi","response":"there"}"#)
            .unwrap();
        s.validate(r#"{"instruction":"hi","response":"there","score":3}"#)
            .unwrap();
    }

    #[test]
    fn rejects_records_that_do_not_match() {
        let s = Schema::parse(SCHEMA).unwrap();
        for (rec, why) in [
            (
                r#"{"instruction":"hi"}"#,
                "missing required field `response`",
            ),
            (
                r#"{"instruction":1,"response":"x"}"#,
                "`instruction` must be of type string",
            ),
            (
                r#"{"instruction":"a","response":"x","score":1.5}"#,
                "of type integer",
            ),
            (
                r#"{"instruction":"a","response":"x","extra":1}"#,
                "unexpected field `extra`",
            ),
            (
                r#"{"instruction":"aaaaaaaaaaaaaaaaaaaaa","response":"x"}"#,
                "longer than 20",
            ),
            (r#"["instruction"]"#, "must be a JSON object"),
            ("not json", "not JSON"),
        ] {
            let err = s.validate(rec).unwrap_err();
            assert!(err.contains(why), "{rec}: {err}");
        }
    }

    #[test]
    fn rejects_bad_schemas() {
        for (schema, why) in [
            ("{}", "`type` must be"),
            (
                r#"{"type":"object","properties":{}}"#,
                "at least one property",
            ),
            (
                r#"{"type":"object","properties":{"a":{"type":"date"}}}"#,
                "unsupported type",
            ),
            (
                r#"{"type":"object","properties":{"a":{"type":"string"}},"required":["b"]}"#,
                "not declared",
            ),
            (
                r#"{"type":"object","properties":{"a":{"type":"string"}},"oneOf":[]}"#,
                "oneOf",
            ),
            ("[", "not JSON"),
        ] {
            let err = Schema::parse(schema).unwrap_err();
            assert!(err.contains(why), "{schema}: {err}");
        }
    }
}
