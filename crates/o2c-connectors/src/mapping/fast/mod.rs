//! A direct evaluator for mapping programs: the same jq text, parsed by
//! jaq's own parser, run by a tree-walker that passes each output to a
//! callback instead of chaining boxed iterators (ADR 0018). jaq stays the
//! reference: a program using anything this evaluator does not run is not
//! compiled here at all, and a payload on which it is not certain of jaq's
//! answer (any error, a type outside the builtins' mirrored cases) is
//! mapped again by jaq. So outputs and error messages are always jaq's; the
//! equality on the shipped mappings is checked by tests over real and
//! generated payloads.

mod builtins;
mod de;
mod eval;
mod lower;
mod project;
mod single;
mod text;
mod value;

use std::sync::atomic::{AtomicBool, Ordering};

use project::Plain;
pub use value::{V, from_json, to_json};

pub use lower::Unsupported;

/// An output decoded straight into `T`, as serde would decode
/// `to_json(output)`; an error also where the JSON path's schema check
/// might refuse what serde accepts (see `de`).
pub fn decode<T: serde::de::DeserializeOwned>(output: &V<'_>) -> Result<T, serde_json::Error> {
    T::deserialize(de::Decoder(output))
}

/// The evaluator cannot vouch for the answer; ask jaq.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unsure;

pub struct FastProgram {
    lowered: lower::Lowered,
    /// Set once a payload could only be mapped with its unnamed plain
    /// values read (a key computed at run time named one): from then on
    /// they are read for every payload, instead of mapping twice.
    keeps_plain: AtomicBool,
}

impl FastProgram {
    /// Lowers `source`; `globals` are the `$variables` bound by the caller,
    /// in the order their values are given to [`FastProgram::run`].
    pub fn compile(source: &str, globals: &[&'static str]) -> Result<Self, Unsupported> {
        Ok(Self {
            lowered: lower::lower(source, globals)?,
            keeps_plain: AtomicBool::new(false),
        })
    }

    /// Every output of the program on a raw payload, read keeping only the
    /// members the program can name, and the unnamed plain values when the
    /// program has shown it looks some up by computed keys.
    pub fn run_payload<'a>(
        &'a self,
        payload: &'a [u8],
        globals: impl IntoIterator<Item = V<'a>> + Clone,
    ) -> Result<Vec<V<'a>>, Unsure> {
        let keys = &self.lowered.keys;
        if !self.keeps_plain.load(Ordering::Relaxed) {
            let input = project::parse(payload, keys, Plain::Skip).ok_or(Unsure)?;
            if let Ok(outputs) = self.run(input, globals.clone()) {
                return Ok(outputs);
            }
        }
        let input = project::parse(payload, keys, Plain::Keep).ok_or(Unsure)?;
        let outputs = self.run(input, globals)?;
        self.keeps_plain.store(true, Ordering::Relaxed);
        Ok(outputs)
    }

    /// Whether payloads are read with their unnamed plain values (see
    /// [`FastProgram::run_payload`]).
    pub fn keeps_plain(&self) -> bool {
        self.keeps_plain.load(Ordering::Relaxed)
    }

    /// Every output of the program on `input`.
    pub fn run<'a>(
        &'a self,
        input: V<'a>,
        globals: impl IntoIterator<Item = V<'a>>,
    ) -> Result<Vec<V<'a>>, Unsure> {
        let env = globals
            .into_iter()
            .fold(eval::Env::default(), |env, value| env.with_value(value));
        let evaluator = eval::Evaluator {
            defs: &self.lowered.defs,
            keys: &self.lowered.keys,
        };
        let mut outputs = Vec::with_capacity(1);
        evaluator
            .run(&self.lowered.main, &env, input, &mut |x| {
                outputs.push(x);
                Ok(())
            })
            .map_err(|_| Unsure)?;
        if outputs.iter().any(V::holds_pruned) {
            return Err(Unsure);
        }
        Ok(outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::FastProgram;
    use crate::mapping::MappingProgram;

    /// The program's answer from both evaluators; the direct one must be
    /// sure (`Some`) and agree with jaq.
    fn same(program: &str, input: &str) -> serde_json::Value {
        let mapping = MappingProgram::compile("t/v1", program).expect("compiles");
        assert!(mapping.is_direct(), "not direct: {program}");
        let reference = mapping
            .run_reference(input.as_bytes(), "shop-1", "2026-11-27T00:00:00Z")
            .unwrap_or_else(|e| panic!("jaq fails on {program}: {e}"));
        let direct = mapping
            .run_direct(input.as_bytes(), "shop-1", "2026-11-27T00:00:00Z")
            .unwrap_or_else(|| panic!("unsure on {program} with {input}"))
            .expect("runs");
        assert_eq!(direct, reference, "{program} on {input}");
        serde_json::Value::Array(direct)
    }

    #[test]
    fn the_direct_evaluator_answers_as_jaq_does() {
        let input = r#"{"a": {"b": [1, 2.50, "3", null]}, "s": " Hi There ", "n": -7,
                        "o": {"x": 1, "y": null, "z": 2}, "e": [], "q": "12.30", "t": true}"#;
        let cases = [
            ".a.b[1], .a.b[-1], .a.b[1:3], .a.b[:2], .missing.deep, .a.b[]",
            "[.a.b[] | select(. != null)] | length",
            "{k: .n, (.s): 1, \"lit\": [.e[]], $account, n: (.n | tostring)}",
            "{a: (1, 2), b: (3, 4)}",
            "[(1, 2) + (10, 20)], [(1, 2) as $x | $x * 3]",
            "\"<\\(.n)|\\(.a.b)|\\(.s)>\", \"\\(1, 2)-\\(3, 4)\"",
            ".missing // .n, (false, null) // 5, (.t, false, 3) // 9",
            "(.t and .n), (null or false), (.e | length > 0 or true)",
            "if .n < 0 then \"neg\" elif .n == 0 then \"zero\" else \"pos\" end, if .t then 1 end",
            "reduce .a.b[] as $x (0; . + ($x | if type == \"number\" then . else 0 end))",
            "def twice(f): f | f; def inc: . + 1; 3 | twice(inc), twice(twice(inc))",
            "def at($i; f): [f][$i]; at(1; .a.b[])",
            "def fact: if . <= 1 then 1 else . * (. - 1 | fact) end; 10 | fact",
            "def outer($x): def inner: . + $x; (1 | inner), (10 | inner); outer(.n)",
            "def f(g): def h: g; [h, (2 | h)]; 5 as $five | f((if type == \"object\" then .n else . end), $five)",
            ".s | (trim, ltrim, rtrim, ascii_upcase, ascii_downcase, length, explode, (explode | implode))",
            ".s | split(\" \"), (split(\" \") | join(\"-\")), startswith(\" H\"), endswith(\"x\"), ltrimstr(\" \"), rtrimstr(\" \")",
            "[.a.b[] | tostring], [.a.b[] | tojson], (.q | tonumber), (.a.b[1] | floor), (3.7 | floor), (-3.2 | floor)",
            ".o | to_entries, has(\"x\"), has(\"nope\"), add, (map(. // 0)), ([.[]] | length)",
            "[3, 1, 2, 1] | sort, unique, min, max, first, last, add, any, all, ([] | min, max, add, any, all)",
            "[1, null, 2] | any(. == null), all(. != null), any(.[]; . == 2), all(.[]; . > 0)",
            "[range(3)], [range(2; 5)], [range(.n)], [limit(2; 1, 2, 3)]? // \"no limit\"",
            "(\"199.50\" | decimal_places, to_minor(2)), (19950 | from_minor(2)), (null | to_minor(2))",
            ".q | test(\"^[0-9]+\\\\.[0-9]+$\"), test(\"x\")",
            "[.a.b[] | type], (.o | type), (.t | not), ([] | not)",
            "-(.n), -(1, 2)",
            "[.[] | numbers]? // \"numbers is jaq's\"",
            "[.e[] | error(\"never\")], [empty], ([1, 2] | map(select(. > 1)))",
            "{(\"a\", \"b\"): (1, 2)}",
            "$received_at, $account",
        ];
        for case in cases {
            // Naming every key of the input keeps it whole when read
            // (`project`): this test is about the evaluator's answers.
            let program = format!(
                "[\"a\", \"b\", \"s\", \"n\", \"o\", \"x\", \"y\", \"z\", \"e\", \"q\", \"t\"] as $named | {case}"
            );
            let program = program.as_str();
            if program.contains("limit") || program.contains("numbers") {
                // not run directly: the whole program goes to jaq
                let mapping = MappingProgram::compile("t/v1", program).expect("compiles");
                assert!(!mapping.is_direct(), "{program}");
                continue;
            }
            same(program, input);
        }
    }

    /// The exact-money natives on what channels send, valid and not: the
    /// direct evaluator runs the same code as jaq's side, or asks jaq.
    #[test]
    fn money_natives_answer_as_jaq_does() {
        let input = r#"["199.5", " 12.30 ", 3, -1.25, null, "1e3", 12345678901234567890,
                        "0.10", 1.50, "19.999"]"#;
        same("[.[] | decimal_places]", input);
        for amount in [
            "\"199.5\"",
            "\" 12.30 \"",
            "3",
            "-1.25",
            "null",
            "\"1e3\"",
            "1.50",
        ] {
            same(
                "[to_minor(2), to_minor(3), (to_minor(2) | from_minor(2))]",
                amount,
            );
        }
        for minor in ["19950", "-5", "0", "12345678901234567890", "null"] {
            same("[from_minor(0), from_minor(2), from_minor(18)]", minor);
        }
        // Refusals are jaq's, with its messages.
        let mapping = MappingProgram::compile("t/v1", "to_minor(2)").expect("compiles");
        for refused in ["\"19.999\"", "\"abc\"", "true", "[1]"] {
            let direct = mapping.run(refused.as_bytes(), "a", "b");
            let reference = mapping.run_reference(refused.as_bytes(), "a", "b");
            assert!(direct.is_err(), "{refused}");
            assert_eq!(direct, reference, "{refused}");
        }
    }

    /// Parts that usually have one output, given several or none: the
    /// direct evaluator must still answer, as jaq does.
    #[test]
    fn several_outputs_where_one_is_usual() {
        let input = r#"{"a": 1, "b": 2, "x": {"y": "z"}, "l": [{"p": 1}, {"p": 2}], "n": null}"#;
        for program in [
            "{a: (.a, .b)}",
            "{a: .a, b: (.l[] | .p)}",
            "[.n // empty]",
            "[.n // (.a, .b)]",
            "def f: .a, .b; {x: f, y: 1}",
            "def g($x): $x + 1; [g(.a, .b)]",
            "def h(f): f | tostring; [h(.a, .b)]",
            "\"\\(.a, .b)-\\(.x.y)\"",
            "if (.a, .n) then 1 else 2 end",
            "(.a, .b) as $v | {v: $v, w: (.l | length)}",
            "[.l[] | select(.p > 1) | {q: (.p * 10)}]",
            "(.a + (.l[] | .p))",
            ".x.y as $s | [$s, ($s | ascii_upcase)]",
            "[.l[].p] | map(. + 1) | add",
            "reduce .l[] as $i (0; . + $i.p) | {total: .}",
        ] {
            same(program, input);
        }
    }

    #[test]
    fn outputs_keep_jaqs_numbers_and_key_order() {
        let out = same(
            "{z: 1, a: .p, m: (.p * 2), z: 3}",
            r#"{"p": 0.1000000000000000055511151231257827}"#,
        );
        assert_eq!(
            out[0].to_string(),
            r#"{"z":3,"a":0.1000000000000000055511151231257827,"m":0.2}"#
        );
    }

    #[test]
    fn errors_and_odd_inputs_go_to_jaq() {
        let mapping = MappingProgram::compile(
            "t/v1",
            r#"if .sku == null then error("line without sku") else .sku | ascii_upcase end"#,
        )
        .expect("compiles");
        assert!(mapping.is_direct());
        // The evaluator is unsure on any error; `run` then gives jaq's.
        assert!(mapping.run_direct(b"{}", "a", "b").is_none());
        assert_eq!(
            mapping.run(b"{}", "a", "b"),
            mapping.run_reference(b"{}", "a", "b")
        );
        // A type the builtin does not take: jaq's own error message.
        let answer = mapping.run(br#"{"sku": 12}"#, "a", "b");
        assert!(answer.is_err());
        assert_eq!(answer, mapping.run_reference(br#"{"sku": 12}"#, "a", "b"));
        assert_eq!(
            mapping.run(br#"{"sku": "ab"}"#, "a", "b"),
            Ok(vec![serde_json::json!("AB")])
        );
    }

    #[test]
    fn objects_missing_unnamed_members_are_never_observed_whole() {
        // `.a` keeps `b` (a name in the program) and `p` (a plain value),
        // and loses `c`, an object no name reaches; so do the objects in `l`.
        let input = br#"{"a": {"b": 1, "p": 2, "c": {"d": 2}}, "l": [{"b": 1, "z": [0]}]}"#;
        for program in [
            ".a",
            "{x: .a}",
            ".a | length",
            ".a | tojson",
            ".a | tostring",
            "\"\\(.a)\"",
            ".a | to_entries",
            "[.a[]]",
            ".a | add",
            ".a | map(.)",
            ".a == {\"b\": 1}",
            ".l == [{\"b\": 1}]",
            ".a[[99] | implode]",
            ".a | has([99] | implode)",
            ".l | unique",
            ".l - [{}]",
            "[.l[]] == [.l[]]",
            ".a + {}",
            ".",
        ] {
            let mapping = MappingProgram::compile("t/v1", program).expect("compiles");
            assert!(mapping.is_direct(), "{program}");
            assert!(
                mapping.run_direct(input, "a", "b").is_none(),
                "{program} answered on a partial object"
            );
            assert_eq!(
                mapping.run(input, "a", "b"),
                mapping.run_reference(input, "a", "b"),
                "{program}"
            );
        }
        // Reading named members of such objects is exact.
        let out = same(
            "[.a.b, (.a | has(\"b\")), (.a | type), (.l[] | .b), (.a[\"b\" + \"\"]), (.a[[112] | implode]), (.a | has([112] | implode))]",
            std::str::from_utf8(input).expect("utf-8"),
        );
        assert_eq!(
            out[0],
            serde_json::json!([1, true, "object", 1, 1, 2, true])
        );
    }

    #[test]
    fn unnamed_plain_values_are_read_once_a_computed_key_needs_them() {
        let globals = || [super::V::Null, super::V::Null];
        let named =
            FastProgram::compile("{x: .a.b}", &["$account", "$received_at"]).expect("lowers");
        let payload = br#"{"a": {"b": 1, "p": 2}, "q": "x"}"#;
        assert!(named.run_payload(payload, globals()).is_ok());
        assert!(!named.keeps_plain(), "only named members are read");
        let computed = FastProgram::compile(".a[[112] | implode]", &["$account", "$received_at"])
            .expect("lowers");
        let outputs = computed.run_payload(payload, globals()).expect("sure");
        assert_eq!(outputs[0].to_string(), "2");
        assert!(computed.keeps_plain(), "from now on plain values are read");
        let outputs = computed
            .run_payload(br#"{"a": {"p": 3}}"#, globals())
            .expect("sure");
        assert_eq!(outputs[0].to_string(), "3");
        // A repeated unnamed key whose last value is skipped: the first,
        // plain value must not be read in its place (jaq reads the last).
        let mapping =
            MappingProgram::compile("t/v1", "{x: .a[[112] | implode]}").expect("compiles");
        for payload in [
            &br#"{"a": {"p": 1, "p": {"x": 2}}}"#[..],
            br#"{"a": {"p": {"x": 2}, "p": 1}}"#,
            br#"{"a": {"p": 1, "p": 2}}"#,
        ] {
            assert_eq!(
                mapping.run(payload, "a", "b"),
                mapping.run_reference(payload, "a", "b"),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
    }

    #[test]
    fn numbers_past_machine_range_and_mixed_sorts_answer_as_jaq_does() {
        // floor keeps an integer past 64 bits whole, as jaq does.
        same(".a | floor", r#"{"a": 9223372036854775808}"#);
        // jaq's number order is not total across integers past 2^53 and
        // floats; sorting such numbers must place them as jaq's sort does.
        // Pseudo-random arrays of such numbers, made the same way each run.
        let picks = [
            "9007199254740992",
            "9007199254740993",
            "9007199254740994",
            "9007199254740993.0",
            "9007199254740992.5",
            "1e16",
        ];
        let mut state = 0x2545_f491_u64;
        for _ in 0..40 {
            let numbers: Vec<&str> = (0..32)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    picks[(state >> 33) as usize % picks.len()]
                })
                .collect();
            let input = format!(r#"{{"v": [{}]}}"#, numbers.join(", "));
            // Such arrays go to jaq, whose sort may stop (the mapping then
            // fails, it does not take the process down).
            let mapping = MappingProgram::compile("t/v1", "{s: (.v | sort), u: (.v | unique)}")
                .expect("compiles");
            assert!(mapping.run_direct(input.as_bytes(), "a", "b").is_none());
            assert_eq!(
                mapping.run(input.as_bytes(), "a", "b"),
                mapping.run_reference(input.as_bytes(), "a", "b")
            );
        }
        same(
            ".v | sort, unique",
            r#"{"v": [3, "b", null, true, 1, "a", false, 3]}"#,
        );
    }

    #[test]
    fn arrays_indexed_by_arrays_of_objects_missing_members_go_to_jaq() {
        let mapping =
            MappingProgram::compile("t/v1", "{x: (.items | .[[.[0]]])}").expect("compiles");
        let payload = br#"{"items": [{"p": 1}, {"p": 2}]}"#;
        assert_eq!(
            mapping.run(payload, "a", "b"),
            mapping.run_reference(payload, "a", "b")
        );
    }

    #[test]
    fn odd_text_in_skipped_members_answers_as_jaq_does() {
        // Members no program names are checked by the reader's skipper, not
        // read: the answer (a mapping, or jaq's refusal) must not change.
        let mapping = MappingProgram::compile("t/v1", "{x: .a}").expect("compiles");
        for payload in [
            &br#"{"a": 1, "z": "\ud800"}"#[..],
            br#"{"a": 1, "z": "\udc00\ud800x"}"#,
            br#"{"a": 1, "z": "\ud83d\ude00"}"#,
            br#"{"a": 1, "z": ["\ud800"]}"#,
            br#"{"a": 1, "z": {"\udc00": 1}}"#,
            br#"{"a": 1, "z": {"k": ["x", {"y": "\ud800"}]}}"#,
            br#"{"a": 1, "z": {"k": ["\u00e9", 1.50, null, true]}}"#,
            b"{\"a\": 1, \"z\": \"tab\there\"}",
            br#"{"a": 1, "z": "\x"}"#,
            br#"{"a": 1, "z": "\u12"}"#,
            br#"{"a": 1, "z": 01}"#,
            br#"{"a": 1, "z": 1.}"#,
            br#"{"a": 1, "z": -}"#,
            br#"{"a": 1, "z": 1e}"#,
            br#"{"a": 1, "z": [1, ]}"#,
            br#"{"a": 1, "z": {"k" 1}}"#,
            br#"{"a": 1, "z": nul}"#,
            br#"{"a": 1, "z": [[[[[[[[[[]]]]]]]]]]}"#,
            br#"{"a": 1, "z": 1e400, "y": -0.0, "w": 123456789012345678901234567890}"#,
        ] {
            let text = String::from_utf8_lossy(payload);
            assert_eq!(
                mapping.run(payload, "a", "b"),
                mapping.run_reference(payload, "a", "b"),
                "{text}"
            );
        }
    }

    #[test]
    fn programs_using_what_it_does_not_run_stay_on_jaq() {
        for program in [
            ".a |= 1",
            "try .a catch 0",
            "label $out | 1",
            "foreach .[] as $x (0; . + $x)",
            "@base64",
            ". as [$a] | $a",
            "..",
            "gsub(\"a\"; \"b\")",
            "test(.pattern)",
        ] {
            let mapping = MappingProgram::compile("t/v1", program).expect("compiles");
            assert!(!mapping.is_direct(), "{program}");
        }
    }
}
