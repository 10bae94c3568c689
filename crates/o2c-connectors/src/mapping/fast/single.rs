//! Marks the parts of a lowered program that have exactly one output (or
//! fail): most of a mapping — member paths, records, arithmetic, calls of
//! such definitions. The evaluator runs a marked part by returning its
//! value ([`super::eval::Evaluator::single`]) instead of handing it to a
//! callback, which saves a closure and an indirect call per filter.
//!
//! The marks only steer speed, never answers: the evaluator treats a
//! marked part as `one` does (no output or several make it unsure, and the
//! payload goes to jaq), so a wrong mark would cost a jaq run, not a wrong
//! answer. Tests that require the evaluator to be sure keep the marks honest.

use super::builtins::Builtin;
use super::lower::{Arg, DefBody, Expr, Step, StrPiece};

/// Wraps every part with one output in `Expr::Single`, in `main` and in
/// the definitions' bodies.
pub fn mark(main: Expr, defs: Vec<DefBody>) -> (Expr, Vec<DefBody>) {
    // A definition is single when its body is, given the definitions found
    // single so far: start from none (recursion stays unmarked) and repeat
    // until nothing changes.
    let mut single_defs = vec![false; defs.len()];
    loop {
        let next: Vec<bool> = defs
            .iter()
            .map(|d| is_single(&d.body, &single_defs))
            .collect();
        if next == single_defs {
            break;
        }
        single_defs = next;
    }
    let main = wrap(main, &single_defs);
    let defs = defs
        .into_iter()
        .map(|d| DefBody {
            body: wrap(d.body, &single_defs),
        })
        .collect();
    (main, defs)
}

/// Whether `e` has exactly one output or fails, on any input.
fn is_single(e: &Expr, defs: &[bool]) -> bool {
    single_given(e, defs, &|part| is_single(part, defs))
}

/// Whether `e` is single when `one` tells which of its direct parts are.
fn single_given(e: &Expr, defs: &[bool], one: &dyn Fn(&Expr) -> bool) -> bool {
    match e {
        Expr::Id | Expr::Lit(_) | Expr::Var(_) | Expr::Arr(_) | Expr::Reduce { .. } => true,
        Expr::Single(_) => true,
        Expr::Str(pieces) => pieces.iter().all(|p| match p {
            StrPiece::Text(_) => true,
            StrPiece::Interpolate(f) => one(f),
        }),
        Expr::Obj(fields) => fields.iter().all(|(k, v)| one(k) && one(v)),
        Expr::Record(fields) => fields.iter().all(|(_, v)| one(v)),
        Expr::Neg(f) => one(f),
        Expr::Pipe(l, r)
        | Expr::Bind(l, r)
        | Expr::Alt(l, r)
        | Expr::Logic(l, _, r)
        | Expr::Math(l, _, r)
        | Expr::Cmp(l, _, r) => one(l) && one(r),
        Expr::If(c, t, e) => one(c) && one(t) && one(e),
        Expr::Comma(..) | Expr::CallArg(_) => false,
        Expr::CallDef { def, args, .. } => {
            defs.get(*def).copied().unwrap_or(false)
                && args.iter().all(|a| match a {
                    Arg::Value(f) => one(f),
                    Arg::Filter(_) => false,
                })
        }
        Expr::Builtin(b, args) => match b {
            // They collect, or fail.
            Builtin::Map
            | Builtin::AnyWhere
            | Builtin::AllWhere
            | Builtin::AnyIn
            | Builtin::AllIn
            | Builtin::Error
            | Builtin::ErrorWith => true,
            b => b.by_value() && args.len() <= 1 && args.iter().all(one),
        },
        Expr::Path(f, steps) => {
            one(f)
                && steps.iter().all(|(step, optional)| {
                    !optional
                        && match step {
                            Step::Index(i) => one(i),
                            Step::Iterate => false,
                            Step::Slice(from, upto) => {
                                from.as_ref().is_none_or(one) && upto.as_ref().is_none_or(one)
                            }
                        }
                })
        }
    }
}

/// Parts not worth a mark: their value costs less than the mark's match.
fn trivial(e: &Expr) -> bool {
    matches!(e, Expr::Id | Expr::Lit(_) | Expr::Var(_) | Expr::Single(_))
}

/// `e` with its parts marked, itself included when it is single. Its
/// parts are marked already, and a part that is neither marked nor trivial
/// is not single: so one look at the parts decides, and marking stays
/// linear in the program's size however deep it nests.
fn wrap(e: Expr, defs: &[bool]) -> Expr {
    let inner = wrap_parts(e, defs);
    let single = single_given(&inner, defs, &trivial);
    debug_assert_eq!(
        single,
        is_single(&inner, defs),
        "one look at the parts decides"
    );
    if !trivial(&inner) && single {
        Expr::Single(Box::new(inner))
    } else {
        inner
    }
}

fn wrap_parts(e: Expr, defs: &[bool]) -> Expr {
    let w = |e: Expr| wrap(e, defs);
    let b = |e: Box<Expr>| Box::new(wrap(*e, defs));
    match e {
        Expr::Id | Expr::Lit(_) | Expr::Var(_) | Expr::CallArg(_) | Expr::Single(_) => e,
        Expr::Str(pieces) => Expr::Str(
            pieces
                .into_iter()
                .map(|p| match p {
                    StrPiece::Interpolate(f) => StrPiece::Interpolate(w(f)),
                    text => text,
                })
                .collect(),
        ),
        Expr::Arr(f) => Expr::Arr(b(f)),
        Expr::Obj(fields) => Expr::Obj(fields.into_iter().map(|(k, v)| (w(k), w(v))).collect()),
        Expr::Record(fields) => Expr::Record(fields.into_iter().map(|(k, v)| (k, w(v))).collect()),
        Expr::Neg(f) => Expr::Neg(b(f)),
        Expr::Pipe(l, r) => Expr::Pipe(b(l), b(r)),
        Expr::Bind(l, r) => Expr::Bind(b(l), b(r)),
        Expr::Comma(l, r) => Expr::Comma(b(l), b(r)),
        Expr::Alt(l, r) => Expr::Alt(b(l), b(r)),
        Expr::Logic(l, stop, r) => Expr::Logic(b(l), stop, b(r)),
        Expr::Math(l, op, r) => Expr::Math(b(l), op, b(r)),
        Expr::Cmp(l, op, r) => Expr::Cmp(b(l), op, b(r)),
        Expr::Reduce { xs, init, update } => Expr::Reduce {
            xs: b(xs),
            init: b(init),
            update: b(update),
        },
        Expr::If(c, t, e) => Expr::If(b(c), b(t), b(e)),
        Expr::CallDef { def, skip, args } => Expr::CallDef {
            def,
            skip,
            args: args
                .into_iter()
                .map(|a| match a {
                    Arg::Filter(f) => Arg::Filter(w(f)),
                    Arg::Value(f) => Arg::Value(w(f)),
                })
                .collect(),
        },
        Expr::Builtin(builtin, args) => Expr::Builtin(builtin, args.into_iter().map(w).collect()),
        // An index that is a literal stays one: the evaluator looks
        // literal member names up directly.
        Expr::Path(f, steps) => Expr::Path(
            b(f),
            steps
                .into_iter()
                .map(|(step, optional)| {
                    let step = match step {
                        Step::Index(i) => Step::Index(w(i)),
                        Step::Iterate => Step::Iterate,
                        Step::Slice(from, upto) => Step::Slice(from.map(w), upto.map(w)),
                    };
                    (step, optional)
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lower::{self, Expr};

    fn marks(e: &Expr) -> usize {
        let mut count = usize::from(matches!(e, Expr::Single(_)));
        let inner = |e: &Expr| marks(e);
        count += match e {
            Expr::Single(e) | Expr::Arr(e) | Expr::Neg(e) => inner(e),
            Expr::Pipe(l, r) | Expr::Bind(l, r) | Expr::Comma(l, r) | Expr::Alt(l, r) => {
                inner(l) + inner(r)
            }
            Expr::Record(fields) => fields.iter().map(|(_, v)| inner(v)).sum(),
            _ => 0,
        };
        count
    }

    #[test]
    fn one_output_parts_are_marked_and_generators_are_not() {
        let main = |source: &str| lower::lower(source, &[]).expect("lowers").main;
        assert!(matches!(main("{a: .x.y, b: (.n + 1)}"), Expr::Single(_)));
        assert!(matches!(main(".a | tostring"), Expr::Single(_)));
        // Several outputs (or none) anywhere in a part leave it unmarked.
        for several in [
            "{a: (.x, .y)}",
            ".a // empty",
            "def f: .a, .b; {x: f}",
            "def g($x): $x + 1; g(.a, .b)",
            "def h(f): f; h(.a)",
            ".[] | .a",
            "\"\\(.a, .b)\"",
            "range(3)",
            ".a | select(. != null)",
        ] {
            assert!(!matches!(main(several), Expr::Single(_)), "{several}");
        }
        // The array has one output; inside it, the generator's one-output
        // parts are marked too: the record, its path and its sum.
        assert_eq!(marks(&main("[.[] | {a: .x.y, b: (.n + 1)}]")), 4);
    }
}
