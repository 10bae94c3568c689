//! Lowers jaq's parsed program (its public AST) into the direct
//! evaluator's tree: names are resolved once here — a variable to its
//! distance in the runtime environment, a call to a definition, a filter
//! argument or a builtin — so the evaluator never looks a name up. A
//! construct the evaluator does not run (updates, `try`, `label`,
//! `foreach`, `@format` strings, destructuring, unknown builtins) makes the
//! whole program [`Unsupported`], and the mapping then runs on jaq alone.

use jaq_core::ValT as _;
use jaq_core::load::lex::StrPart;
use jaq_core::load::parse::{BinaryOp, Def, Pattern, Term};
use jaq_core::ops::{Cmp, Math};
use jaq_core::path::{Opt, Part};
use jaq_json::Val;

use super::builtins::Builtin;
use super::project::KeySet;

/// Why a program cannot run on the direct evaluator.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the direct evaluator does not run {0}")]
pub struct Unsupported(pub String);

/// One step of a path such as `.a`, `.[]`, `.[1:]`.
pub enum Step {
    Index(Expr),
    Iterate,
    Slice(Option<Expr>, Option<Expr>),
}

pub enum StrPiece {
    Text(String),
    Interpolate(Expr),
}

/// An argument of a definition's call: a filter (run lazily in the
/// caller's environment) or a value parameter (`$x`, bound per output).
pub enum Arg {
    Filter(Expr),
    Value(Expr),
}

/// A constant. Kept apart from `Val` (whose arrays and objects are
/// reference-counted without atomics) so a compiled mapping can be shared
/// between threads.
pub enum Lit {
    Int(isize),
    /// A number that is not a machine integer, as its decimal text.
    Num(String),
    Str(Box<[u8]>),
    EmptyArr,
}

pub enum Expr {
    Id,
    Lit(Lit),
    Str(Vec<StrPiece>),
    Arr(Box<Expr>),
    Obj(Vec<(Expr, Expr)>),
    /// An object whose keys are distinct string literals (most of a
    /// mapping's): built without checking its keys for repeats.
    Record(Vec<(Box<[u8]>, Expr)>),
    Neg(Box<Expr>),
    Pipe(Box<Expr>, Box<Expr>),
    /// `l as $x | r`
    Bind(Box<Expr>, Box<Expr>),
    Comma(Box<Expr>, Box<Expr>),
    Alt(Box<Expr>, Box<Expr>),
    /// `l and r` (`false`) or `l or r` (`true`): the value that stops.
    Logic(Box<Expr>, bool, Box<Expr>),
    Math(Box<Expr>, Math, Box<Expr>),
    Cmp(Box<Expr>, Cmp, Box<Expr>),
    /// `reduce xs as $x (init; update)`
    Reduce {
        xs: Box<Expr>,
        init: Box<Expr>,
        update: Box<Expr>,
    },
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A bound variable, by its distance from the top of the environment.
    Var(usize),
    /// A filter argument of the enclosing definition, by distance.
    CallArg(usize),
    /// A definition: `skip` environment entries lie between the call and
    /// the definition's own scope.
    CallDef {
        def: usize,
        skip: usize,
        args: Vec<Arg>,
    },
    Builtin(Builtin, Vec<Expr>),
    Path(Box<Expr>, Vec<(Step, bool)>),
    /// A part with exactly one output or a failure (`single`): run by
    /// returning its value.
    Single(Box<Expr>),
}

pub struct DefBody {
    pub body: Expr,
}

/// A name visible at some point of the program.
enum Scope<'s> {
    /// Occupies one environment entry (a `$variable` or a filter argument).
    Var(&'s str),
    Filter(&'s str),
    Def {
        name: &'s str,
        arity: usize,
        id: usize,
    },
}

pub struct Lowered {
    pub main: Expr,
    pub defs: Vec<DefBody>,
    /// Every string constant of the program: the only keys it can name
    /// without computing them.
    pub keys: KeySet,
}

/// Lowers `source`, whose free variables are `globals` (bound, in this
/// order, below everything else).
pub fn lower(source: &str, globals: &[&'static str]) -> Result<Lowered, Unsupported> {
    let term = jaq_core::load::parse(source, |p| p.term())
        .ok_or_else(|| Unsupported("a program that does not parse".into()))?;
    let mut lowerer = Lowerer {
        scope: globals.iter().map(|g| Scope::Var(g)).collect(),
        defs: Vec::new(),
        value_params: Vec::new(),
        keys: KeySet::default(),
    };
    let main = lowerer.term(term)?;
    let defs = lowerer
        .defs
        .into_iter()
        .map(|d| d.ok_or_else(|| Unsupported("an unfinished definition".into())))
        .collect::<Result<_, _>>()?;
    let (main, defs) = super::single::mark(main, defs);
    Ok(Lowered {
        main,
        defs,
        keys: lowerer.keys,
    })
}

struct Lowerer<'s> {
    scope: Vec<Scope<'s>>,
    defs: Vec<Option<DefBody>>,
    /// Per definition, which parameters are `$values`.
    value_params: Vec<Vec<bool>>,
    keys: KeySet,
}

fn unsupported<T>(what: impl Into<String>) -> Result<T, Unsupported> {
    Err(Unsupported(what.into()))
}

impl<'s> Lowerer<'s> {
    fn text_lit(&mut self, text: impl Into<String>) -> Expr {
        let text = text.into();
        self.keys.insert(text.as_bytes());
        Expr::Lit(Lit::Str(text.into_bytes().into_boxed_slice()))
    }

    fn boxed(&mut self, t: Term<&'s str>) -> Result<Box<Expr>, Unsupported> {
        self.term(t).map(Box::new)
    }

    fn term(&mut self, t: Term<&'s str>) -> Result<Expr, Unsupported> {
        Ok(match t {
            Term::Id => Expr::Id,
            Term::Recurse => return unsupported("`..`"),
            Term::Num(n) => Expr::Lit(match n.parse::<isize>() {
                Ok(i) => Lit::Int(i),
                Err(_) => {
                    Val::from_num(n).map_err(|_| Unsupported(format!("the number {n}")))?;
                    Lit::Num(n.to_owned())
                }
            }),
            Term::Str(Some(format), _) => return unsupported(format!("the format {format}")),
            Term::Str(None, parts) => self.string(parts)?,
            Term::Arr(None) => Expr::Lit(Lit::EmptyArr),
            Term::Arr(Some(t)) => Expr::Arr(self.boxed(*t)?),
            Term::Obj(entries) => record_or_object(
                entries
                    .into_iter()
                    .map(|(k, v)| self.obj_entry(k, v))
                    .collect::<Result<_, _>>()?,
            ),
            Term::Neg(t) => Expr::Neg(self.boxed(*t)?),
            Term::BinOp(l, op, r) => self.binop(*l, op, *r)?,
            Term::Label(..) | Term::Break(_) => return unsupported("`label`/`break`"),
            Term::Fold(name, xs, pattern, args) => {
                let mut args = args.into_iter();
                let (Some(init), Some(update), None, "reduce") =
                    (args.next(), args.next(), args.next(), name)
                else {
                    return unsupported(format!("`{name}` of this form"));
                };
                let xs = self.boxed(*xs)?;
                let init = self.boxed(init)?;
                let var = single_var(pattern)?;
                self.scope.push(Scope::Var(var));
                let update = self.boxed(update);
                self.scope.pop();
                Expr::Reduce {
                    xs,
                    init,
                    update: update?,
                }
            }
            Term::TryCatch(..) => return unsupported("`try`"),
            Term::IfThenElse(if_thens, else_) => {
                let mut branches = Vec::with_capacity(if_thens.len());
                for (cond, then) in if_thens {
                    branches.push((self.term(cond)?, self.term(then)?));
                }
                let mut acc = match else_ {
                    Some(e) => self.term(*e)?,
                    None => Expr::Id,
                };
                for (cond, then) in branches.into_iter().rev() {
                    acc = Expr::If(Box::new(cond), Box::new(then), Box::new(acc));
                }
                acc
            }
            Term::Def(defs, body) => {
                let opened = defs.len();
                for def in defs {
                    self.define(def)?;
                }
                let body = self.term(*body);
                self.scope.truncate(self.scope.len() - opened);
                body?
            }
            Term::Call(name, args) => self.call(name, args)?,
            Term::Var(name) => Expr::Var(self.var(name)?),
            Term::Path(t, path) => {
                let t = self.boxed(*t)?;
                let mut steps = Vec::with_capacity(path.0.len());
                for (part, opt) in path.0 {
                    let step = match part {
                        Part::Index(i) => Step::Index(self.term(i)?),
                        Part::Range(None, None) => Step::Iterate,
                        Part::Range(from, upto) => Step::Slice(
                            from.map(|f| self.term(f)).transpose()?,
                            upto.map(|u| self.term(u)).transpose()?,
                        ),
                    };
                    steps.push((step, matches!(opt, Opt::Optional)));
                }
                Expr::Path(t, steps)
            }
        })
    }

    fn string(&mut self, parts: Vec<StrPart<&'s str, Term<&'s str>>>) -> Result<Expr, Unsupported> {
        let mut pieces: Vec<StrPiece> = Vec::with_capacity(parts.len());
        for part in parts {
            let text = match part {
                StrPart::Str(s) => s.to_owned(),
                StrPart::Char(c) => c.to_string(),
                StrPart::Term(t) => {
                    pieces.push(StrPiece::Interpolate(self.term(t)?));
                    continue;
                }
            };
            match pieces.last_mut() {
                Some(StrPiece::Text(previous)) => previous.push_str(&text),
                _ => pieces.push(StrPiece::Text(text)),
            }
        }
        Ok(match pieces.as_slice() {
            [] => self.text_lit(""),
            [StrPiece::Text(text)] => {
                let text = text.clone();
                self.text_lit(text)
            }
            _ => Expr::Str(pieces),
        })
    }

    /// As jaq: `{$x}` is `{"x": $x}`, `{k}` is `{k: .[k]}`.
    fn obj_entry(
        &mut self,
        key: Term<&'s str>,
        value: Option<Term<&'s str>>,
    ) -> Result<(Expr, Expr), Unsupported> {
        match (key, value) {
            (Term::Var(x), None) => Ok((self.text_lit(&x[1..]), Expr::Var(self.var(x)?))),
            (k, None) => {
                let index = self.term(k.clone())?;
                Ok((
                    self.term(k)?,
                    Expr::Path(Box::new(Expr::Id), vec![(Step::Index(index), false)]),
                ))
            }
            (k, Some(v)) => Ok((self.term(k)?, self.term(v)?)),
        }
    }

    fn binop(
        &mut self,
        l: Term<&'s str>,
        op: BinaryOp<&'s str>,
        r: Term<&'s str>,
    ) -> Result<Expr, Unsupported> {
        let l = self.boxed(l)?;
        Ok(match op {
            BinaryOp::Pipe(None) => Expr::Pipe(l, self.boxed(r)?),
            BinaryOp::Pipe(Some(pattern)) => {
                let var = single_var(pattern)?;
                self.scope.push(Scope::Var(var));
                let r = self.boxed(r);
                self.scope.pop();
                Expr::Bind(l, r?)
            }
            BinaryOp::Comma => Expr::Comma(l, self.boxed(r)?),
            BinaryOp::Alt => Expr::Alt(l, self.boxed(r)?),
            BinaryOp::Or => Expr::Logic(l, true, self.boxed(r)?),
            BinaryOp::And => Expr::Logic(l, false, self.boxed(r)?),
            BinaryOp::Math(op) => Expr::Math(l, op, self.boxed(r)?),
            BinaryOp::Cmp(op) => Expr::Cmp(l, op, self.boxed(r)?),
            _ => return unsupported("an update or assignment"),
        })
    }

    fn define(&mut self, def: Def<&'s str>) -> Result<(), Unsupported> {
        let id = self.defs.len();
        self.defs.push(None);
        self.value_params
            .push(def.args.iter().map(|a| a.starts_with('$')).collect());
        self.scope.push(Scope::Def {
            name: def.name,
            arity: def.args.len(),
            id,
        });
        let below = self.scope.len();
        for arg in &def.args {
            self.scope.push(if arg.starts_with('$') {
                Scope::Var(arg)
            } else {
                Scope::Filter(arg)
            });
        }
        let body = self.term(def.body);
        self.scope.truncate(below);
        self.defs[id] = Some(DefBody { body: body? });
        Ok(())
    }

    fn var(&self, name: &str) -> Result<usize, Unsupported> {
        let mut distance = 0;
        for entry in self.scope.iter().rev() {
            match entry {
                Scope::Var(x) if *x == name => return Ok(distance),
                Scope::Var(_) | Scope::Filter(_) => distance += 1,
                Scope::Def { .. } => {}
            }
        }
        unsupported(format!("the variable {name}"))
    }

    fn call(&mut self, name: &'s str, args: Vec<Term<&'s str>>) -> Result<Expr, Unsupported> {
        let mut distance = 0;
        let mut found = None;
        for entry in self.scope.iter().rev() {
            match entry {
                Scope::Filter(x) if *x == name && args.is_empty() => {
                    return Ok(Expr::CallArg(distance));
                }
                Scope::Def { name: n, arity, id } if *n == name && *arity == args.len() => {
                    found = Some((*id, distance));
                    break;
                }
                Scope::Var(_) | Scope::Filter(_) => distance += 1,
                Scope::Def { .. } => {}
            }
        }
        if let Some((def, skip)) = found {
            let params = self.value_params[def].clone();
            let mut lowered = Vec::with_capacity(args.len());
            for (arg, is_value) in args.into_iter().zip(params) {
                let arg = self.term(arg)?;
                lowered.push(if is_value {
                    Arg::Value(arg)
                } else {
                    Arg::Filter(arg)
                });
            }
            return Ok(Expr::CallDef {
                def,
                skip,
                args: lowered,
            });
        }
        if let ("test", [pattern]) = (name, args.as_slice()) {
            return match self.term(pattern.clone())? {
                Expr::Lit(Lit::Str(p)) => std::str::from_utf8(&p)
                    .ok()
                    .and_then(Builtin::test)
                    .map(|test| Expr::Builtin(test, Vec::new()))
                    .ok_or_else(|| Unsupported("a regular expression jaq would refuse".into())),
                _ => unsupported("`test` with a computed pattern"),
            };
        }
        let builtin = Builtin::named(name, args.len())
            .ok_or_else(|| Unsupported(format!("the filter {name}/{}", args.len())))?;
        let args = args
            .into_iter()
            .map(|a| self.term(a))
            .collect::<Result<_, _>>()?;
        Ok(Expr::Builtin(builtin, args))
    }
}

fn single_var(pattern: Pattern<&str>) -> Result<&str, Unsupported> {
    match pattern {
        Pattern::Var(x) => Ok(x),
        _ => unsupported("a destructuring pattern"),
    }
}

/// `{…}` as a [`Expr::Record`] when its keys are distinct string
/// literals, else as a general [`Expr::Obj`].
fn record_or_object(fields: Vec<(Expr, Expr)>) -> Expr {
    let mut keys: Vec<&[u8]> = Vec::with_capacity(fields.len());
    for (key, _) in &fields {
        match key {
            Expr::Lit(Lit::Str(k)) if !keys.contains(&&k[..]) => keys.push(k),
            _ => return Expr::Obj(fields),
        }
    }
    Expr::Record(
        fields
            .into_iter()
            .filter_map(|(key, value)| match key {
                Expr::Lit(Lit::Str(k)) => Some((k, value)),
                _ => None,
            })
            .collect(),
    )
}
