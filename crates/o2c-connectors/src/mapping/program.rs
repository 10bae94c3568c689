//! One compiled jq program and how to run it on a payload.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, Vars, compile::Filter, data, unwrap_valr};
use jaq_json::Val;
use serde_json::Value;

use super::fast::{self, FastProgram};
use super::{MappingError, convert, decimal_funs};

type JaqFilter = Filter<Native<data::JustLut<Val>>>;

/// Why running a mapping failed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RunError {
    #[error("the payload is not valid JSON: {0}")]
    Payload(String),
    #[error("the mapping {name} failed: {message}")]
    Failed { name: String, message: String },
    #[error("the mapping {name} produced no output")]
    NoOutput { name: String },
    #[error("the mapping {name} produced output that is not JSON: {message}")]
    Output { name: String, message: String },
}

/// A payload as a channel hands it over: raw bytes (webhooks), or already
/// decoded (pulled records, CSV groups, EDI documents).
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Raw(&'a [u8]),
    Decoded(&'a Value),
}

/// What [`MappingProgram::run_typed`] made of a payload.
#[derive(Debug)]
pub enum Typed<T> {
    /// Every output, decoded and admitted.
    Decoded(Vec<T>),
    /// The outputs as JSON, or why the mapping failed: for the caller's
    /// own check, which explains what was not decoded or admitted.
    Json(Result<Vec<Value>, RunError>),
}

/// A mapping compiled twice: by jaq (the reference, always present) and,
/// when the program only uses what it runs, by the direct evaluator
/// (`fast`, ADR 0018), which maps each payload unless it is unsure.
pub struct MappingProgram {
    name: String,
    filter: JaqFilter,
    fast: Option<FastProgram>,
}

/// The variables a mapping can read: `$account` (the channel account, e.g.
/// the shop domain) and `$received_at` (RFC 3339, when the hub got it).
const GLOBALS: [&str; 2] = ["$account", "$received_at"];

impl MappingProgram {
    pub fn compile(name: &str, source: &str) -> Result<Self, MappingError> {
        let compile_error = |message: String| MappingError::Compile {
            name: name.to_owned(),
            message,
        };
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs())
            .chain(decimal_funs::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(
                &arena,
                File {
                    code: source,
                    path: (),
                },
            )
            .map_err(|errors| compile_error(format!("{errors:?}")))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .with_global_vars(GLOBALS)
            .compile(modules)
            .map_err(|errors| compile_error(format!("{errors:?}")))?;
        Ok(Self {
            name: name.to_owned(),
            filter,
            fast: FastProgram::compile(source, &GLOBALS).ok(),
        })
    }

    /// Whether payloads are mapped by the direct evaluator (else by jaq).
    pub fn is_direct(&self) -> bool {
        self.fast.is_some()
    }

    /// The direct evaluator's answer alone: `None` when the program is not
    /// direct or the evaluator is unsure (then `run` asks jaq). For tests
    /// and `o2c bench map`, to show which path mapped a payload.
    pub fn run_direct(
        &self,
        payload: &[u8],
        account: &str,
        received_at: &str,
    ) -> Option<Result<Vec<Value>, RunError>> {
        let outputs = self.direct(Input::Raw(payload), account, received_at)?;
        Some(self.outputs(&outputs, fast::to_json))
    }

    /// Runs the mapping on jaq alone: the reference the direct evaluator is
    /// compared with.
    pub fn run_reference(
        &self,
        payload: &[u8],
        account: &str,
        received_at: &str,
    ) -> Result<Vec<Value>, RunError> {
        self.run_jaq(Input::Raw(payload), account, received_at)
    }

    /// Runs the mapping on an already decoded value with jaq alone.
    pub fn run_value_reference(
        &self,
        payload: &Value,
        account: &str,
        received_at: &str,
    ) -> Result<Vec<Value>, RunError> {
        self.run_jaq(Input::Decoded(payload), account, received_at)
    }

    /// Runs the mapping on a raw JSON payload; every output is one canonical
    /// document (a payload may yield several orders, e.g. one per store).
    pub fn run(
        &self,
        payload: &[u8],
        account: &str,
        received_at: &str,
    ) -> Result<Vec<Value>, RunError> {
        self.run_input(Input::Raw(payload), account, received_at)
    }

    /// Runs the mapping on an already decoded value.
    pub fn run_value(
        &self,
        payload: &Value,
        account: &str,
        received_at: &str,
    ) -> Result<Vec<Value>, RunError> {
        self.run_input(Input::Decoded(payload), account, received_at)
    }

    /// Runs the mapping on either kind of input: the direct evaluator's
    /// answer, or jaq's where it is unsure.
    pub fn run_input(
        &self,
        input: Input<'_>,
        account: &str,
        received_at: &str,
    ) -> Result<Vec<Value>, RunError> {
        if let Some(outputs) = self.direct(input, account, received_at) {
            return self.outputs(&outputs, fast::to_json);
        }
        self.run_jaq(input, account, received_at)
    }

    /// Every output decoded straight into `T`, as serde would decode the
    /// JSON that [`Self::run_input`] returns (ADR 0023), when the direct
    /// evaluator maps this payload, every output decodes and `admit`
    /// takes it. The decoder also refuses what a JSON Schema check could
    /// refuse though serde accepts it (arrays read as structs, serde_json's
    /// private keys, decimal text outside the schema's pattern; see
    /// `fast::de`). Otherwise the JSON outputs, as [`Self::run_input`]
    /// gives them, from the same run: the program is not run twice.
    pub fn run_typed<T: serde::de::DeserializeOwned>(
        &self,
        input: Input<'_>,
        account: &str,
        received_at: &str,
        admit: impl Fn(&T) -> bool,
    ) -> Typed<T> {
        let Some(outputs) = self.direct(input, account, received_at) else {
            return Typed::Json(self.run_jaq(input, account, received_at));
        };
        let decoded: Option<Vec<T>> = outputs
            .iter()
            .map(|output| fast::decode(output).ok().filter(|t| admit(t)))
            .collect();
        match decoded {
            Some(decoded) if !decoded.is_empty() => Typed::Decoded(decoded),
            _ => Typed::Json(self.outputs(&outputs, fast::to_json)),
        }
    }

    /// The direct evaluator's outputs, when the program is direct and the
    /// evaluator is sure.
    fn direct<'a>(
        &'a self,
        input: Input<'a>,
        account: &'a str,
        received_at: &'a str,
    ) -> Option<Vec<fast::V<'a>>> {
        let fast = self.fast.as_ref()?;
        let globals = globals(account, received_at);
        match input {
            Input::Raw(payload) => fast.run_payload(payload, globals),
            Input::Decoded(payload) => fast.run(fast::from_json(payload), globals),
        }
        .ok()
    }

    /// A run's outputs as JSON (jaq's values or the direct evaluator's,
    /// each with its converter); no output at all is an error.
    fn outputs<T>(
        &self,
        outputs: &[T],
        to_json: impl Fn(&T) -> Result<Value, String>,
    ) -> Result<Vec<Value>, RunError> {
        let values = outputs
            .iter()
            .map(|output| {
                to_json(output).map_err(|message| RunError::Output {
                    name: self.name.clone(),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if values.is_empty() {
            return Err(RunError::NoOutput {
                name: self.name.clone(),
            });
        }
        Ok(values)
    }

    /// The mapping run by jaq alone, on the payload as jaq reads it.
    fn run_jaq(
        &self,
        input: Input<'_>,
        account: &str,
        received_at: &str,
    ) -> Result<Vec<Value>, RunError> {
        let input = jaq_input(input)?;
        let vars = Vars::new([
            Val::from(account.to_owned()),
            Val::from(received_at.to_owned()),
        ]);
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, vars);
        // jaq can panic on some inputs (its `sort` on numbers whose order
        // is not total): that fails this mapping, not the process.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.filter
                .id
                .run((ctx, input))
                .map(unwrap_valr)
                .collect::<Result<Vec<Val>, _>>()
        }));
        let vals = match run {
            Ok(vals) => vals.map_err(|e| RunError::Failed {
                name: self.name.clone(),
                message: error_text(&e),
            })?,
            Err(panic) => {
                let reason = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no reason given".into());
                return Err(RunError::Failed {
                    name: self.name.clone(),
                    message: format!("jaq stopped on this payload: {reason}"),
                });
            }
        };
        self.outputs(&vals, convert::from_val)
    }
}

/// A payload as jaq reads it.
fn jaq_input(input: Input<'_>) -> Result<Val, RunError> {
    match input {
        Input::Raw(payload) => convert::parse(payload),
        Input::Decoded(payload) => Ok(convert::to_val(payload)),
    }
}

/// The values of [`GLOBALS`], in order, for the direct evaluator.
fn globals<'a>(account: &'a str, received_at: &'a str) -> [fast::V<'a>; 2] {
    [fast::V::str(account), fast::V::str(received_at)]
}

/// `error("…")` in a mapping arrives as a jaq value; show its text.
fn error_text(error: &jaq_core::Error<Val>) -> String {
    let text = error.to_string();
    text.trim_matches('"').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_pass_through_exactly() {
        let program = MappingProgram::compile(
            "t/v1",
            "{price: .p, qty: (.q | tostring), account: $account}",
        )
        .expect("compile");
        let out = program
            .run(
                br#"{"p": "19.99", "q": 3}"#,
                "shop-1",
                "2026-11-27T00:00:00Z",
            )
            .expect("run");
        assert_eq!(
            out,
            vec![json!({"price": "19.99", "qty": "3", "account": "shop-1"})]
        );
        let out = program
            .run(
                br#"{"p": 0.1000000000000000055511151231257827, "q": 1}"#,
                "a",
                "b",
            )
            .expect("run");
        assert_eq!(
            out[0]["price"].to_string(),
            "0.1000000000000000055511151231257827"
        );
    }

    #[test]
    fn errors_are_reported_with_the_mapping_name() {
        let program = MappingProgram::compile(
            "t/v1",
            r#"if .sku == null then error("line without sku") else . end"#,
        )
        .expect("compile");
        let err = program.run(br#"{}"#, "a", "b").expect_err("fails");
        assert_eq!(
            err,
            RunError::Failed {
                name: "t/v1".into(),
                message: "line without sku".into()
            }
        );
        assert!(matches!(
            program.run(b"{not json", "a", "b"),
            Err(RunError::Payload(_))
        ));
        let empty = MappingProgram::compile("t/v2", "empty").expect("compile");
        assert!(matches!(
            empty.run(b"{}", "a", "b"),
            Err(RunError::NoOutput { .. })
        ));
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Price {
        price: String,
    }

    /// Decoded when every output decodes and is admitted; else the JSON
    /// outputs `run_input` gives, taken from the same run.
    #[test]
    fn typed_runs_decode_or_give_the_json_outputs() {
        let program = MappingProgram::compile("t/v1", "{price: .p}").expect("compile");
        assert!(program.is_direct());
        let input = Input::Raw(br#"{"p": "19.99"}"#);
        let typed = program.run_typed(input, "a", "b", |_: &Price| true);
        assert!(
            matches!(&typed, Typed::Decoded(prices) if prices == &[Price { price: "19.99".into() }]),
            "{typed:?}"
        );
        let json = program.run_input(input, "a", "b");
        let refused = program.run_typed(input, "a", "b", |_: &Price| false);
        assert!(
            matches!(&refused, Typed::Json(outputs) if outputs == &json),
            "{refused:?}"
        );
        // An output that does not decode, and a payload that is not JSON.
        let number = Input::Raw(br#"{"p": 19.99}"#);
        let undecoded = program.run_typed(number, "a", "b", |_: &Price| true);
        let expected = program.run_input(number, "a", "b");
        assert!(matches!(&undecoded, Typed::Json(outputs) if outputs == &expected));
        let broken = program.run_typed(Input::Raw(b"{"), "a", "b", |_: &Price| true);
        assert!(matches!(broken, Typed::Json(Err(RunError::Payload(_)))));
    }

    #[test]
    fn bad_programs_do_not_compile() {
        assert!(MappingProgram::compile("t/v1", "{ unclosed").is_err());
        assert!(MappingProgram::compile("t/v1", "undefined_function(1)").is_err());
    }
}
