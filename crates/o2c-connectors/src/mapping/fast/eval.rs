//! Runs a lowered program on one input. Every filter hands its outputs to
//! a callback instead of returning an iterator, so a filter with one output
//! (nearly every one in a mapping) costs a direct call, not boxed iterator
//! chains. Outputs come in jaq's order: in `l op r`, an object or a string
//! interpolation, the left or earlier part is the outer loop.

use std::rc::Rc;

use jaq_core::ValT as _;
use jaq_core::ops::Math;
use jaq_json::Val;

use super::Unsure;
use super::builtins::{self, Builtin};
use super::lower::{Arg, DefBody, Expr, Lit, Step, StrPiece};
use super::project::{KeySet, holds_pruned, is_pruned};

/// Why evaluation stopped early: the payload must go to jaq, or `any` /
/// `all` found their answer.
pub enum Stop {
    Unsure,
    Found,
}

impl From<Unsure> for Stop {
    fn from(_: Unsure) -> Self {
        Stop::Unsure
    }
}

type Flow = Result<(), Stop>;
type Out<'o> = dyn FnMut(Val) -> Flow + 'o;

/// What a variable or a filter argument is bound to.
enum Bound<'p> {
    Value(Val),
    Filter(&'p Expr, Env<'p>),
}

struct Node<'p> {
    bound: Bound<'p>,
    next: Env<'p>,
}

/// The bindings in scope, newest first (distances come from `lower`).
#[derive(Clone, Default)]
pub struct Env<'p>(Option<Rc<Node<'p>>>);

impl<'p> Env<'p> {
    pub fn with_value(&self, value: Val) -> Self {
        self.push(Bound::Value(value))
    }

    fn push(&self, bound: Bound<'p>) -> Self {
        Env(Some(Rc::new(Node {
            bound,
            next: self.clone(),
        })))
    }

    fn node(&self, distance: usize) -> Result<&Node<'p>, Unsure> {
        let mut node = self.0.as_deref().ok_or(Unsure)?;
        for _ in 0..distance {
            node = node.next.0.as_deref().ok_or(Unsure)?;
        }
        Ok(node)
    }

    fn skip(&self, distance: usize) -> Result<Env<'p>, Unsure> {
        if distance == 0 {
            return Ok(self.clone());
        }
        Ok(self.node(distance - 1)?.next.clone())
    }
}

pub struct Evaluator<'p> {
    pub defs: &'p [DefBody],
    /// The keys payloads were projected to (`project`).
    pub keys: &'p KeySet,
}

/// A container that holds an object missing members (`project`): its
/// whole content must not be observed.
fn partial(v: &Val) -> bool {
    container(v) && holds_pruned(v)
}

fn container(v: &Val) -> bool {
    matches!(v, Val::Arr(_) | Val::Obj(_))
}

/// Whether `x op y` would read the content of a partial container: only
/// two containers are compared (or subtracted) member by member; `+`
/// carries the marker into its result.
fn reads_partial(x: &Val, y: &Val, adds: bool) -> bool {
    !adds && container(x) && container(y) && (partial(x) || partial(y))
}

impl<'p> Evaluator<'p> {
    pub fn run(&self, e: &'p Expr, env: &Env<'p>, v: Val, out: &mut Out) -> Flow {
        match e {
            Expr::Id => out(v),
            Expr::Lit(lit) => out(lit.val()),
            Expr::Str(pieces) => self.string(pieces, env, &v, String::new(), out),
            Expr::Arr(f) => {
                let mut items = Vec::new();
                self.run(f, env, v, &mut |x| {
                    items.push(x);
                    Ok(())
                })?;
                out(Val::Arr(jaq_json::Rc::new(items)))
            }
            Expr::Obj(fields) => self.object(fields, env, &v, out),
            Expr::Neg(f) => self.run(f, env, v, &mut |x| out((-x).map_err(|_| Stop::Unsure)?)),
            Expr::Pipe(l, r) => self.run(l, env, v, &mut |x| self.run(r, env, x, out)),
            Expr::Bind(l, r) => self.run(l, env, v.clone(), &mut |x| {
                self.run(r, &env.with_value(x), v.clone(), out)
            }),
            Expr::Comma(l, r) => {
                self.run(l, env, v.clone(), out)?;
                self.run(r, env, v, out)
            }
            Expr::Alt(l, r) => {
                let mut any = false;
                self.run(l, env, v.clone(), &mut |x| {
                    if x.as_bool() {
                        any = true;
                        out(x)
                    } else {
                        Ok(())
                    }
                })?;
                if any {
                    Ok(())
                } else {
                    self.run(r, env, v, out)
                }
            }
            Expr::Logic(l, stop, r) => self.run(l, env, v.clone(), &mut |x| {
                if x.as_bool() == *stop {
                    out(Val::Bool(*stop))
                } else {
                    self.run(r, env, v.clone(), &mut |y| out(Val::Bool(y.as_bool())))
                }
            }),
            Expr::Math(l, op, r) => self.run(l, env, v.clone(), &mut |x| {
                self.run(r, env, v.clone(), &mut |y| {
                    if reads_partial(&x, &y, matches!(op, Math::Add)) {
                        return Err(Stop::Unsure);
                    }
                    out(op.run(x.clone(), y).map_err(|_| Stop::Unsure)?)
                })
            }),
            Expr::Cmp(l, op, r) => self.run(l, env, v.clone(), &mut |x| {
                self.run(r, env, v.clone(), &mut |y| {
                    if reads_partial(&x, &y, false) {
                        return Err(Stop::Unsure);
                    }
                    out(Val::Bool(op.run(&x, &y)))
                })
            }),
            Expr::Reduce { xs, init, update } => {
                let mut acc = self.one(init, env, v.clone())?;
                self.run(xs, env, v, &mut |x| {
                    let state = std::mem::take(&mut acc);
                    acc = self.one(update, &env.with_value(x), state)?;
                    Ok(())
                })?;
                out(acc)
            }
            Expr::If(cond, then, else_) => self.run(cond, env, v.clone(), &mut |c| {
                let branch = if c.as_bool() { then } else { else_ };
                self.run(branch, env, v.clone(), out)
            }),
            Expr::Var(distance) => match &env.node(*distance)?.bound {
                Bound::Value(x) => out(x.clone()),
                Bound::Filter(..) => Err(Stop::Unsure),
            },
            Expr::CallArg(distance) => match &env.node(*distance)?.bound {
                Bound::Filter(f, closure) => self.run(f, closure, v, out),
                Bound::Value(_) => Err(Stop::Unsure),
            },
            Expr::CallDef { def, skip, args } => {
                let base = env.skip(*skip)?;
                self.call(*def, args, env, base, v, out)
            }
            Expr::Builtin(b, args) => self.builtin(b, args, env, v, out),
            Expr::Path(f, steps) => self.run(f, env, v.clone(), &mut |y| {
                self.steps(steps, env, &v, y, out)
            }),
        }
    }

    /// Whether member `key` of a pruned object is as in the payload: named
    /// by the program, or present (only unnamed containers were skipped).
    fn kept(&self, object: &Val, key: &Val) -> bool {
        match (object, key) {
            (Val::Obj(members), Val::TStr(k)) => self.keys.contains(k) || members.contains_key(key),
            _ => true,
        }
    }

    /// The one output of `e`; none or several go to jaq.
    fn one(&self, e: &'p Expr, env: &Env<'p>, v: Val) -> Result<Val, Stop> {
        let mut found: Option<Val> = None;
        let mut several = false;
        self.run(e, env, v, &mut |x| {
            if found.replace(x).is_some() {
                several = true;
            }
            Ok(())
        })?;
        match found {
            Some(x) if !several => Ok(x),
            _ => Err(Stop::Unsure),
        }
    }

    /// Binds the call's arguments (value parameters once per output, in
    /// order), then runs the definition's body.
    fn call(
        &self,
        def: usize,
        args: &'p [Arg],
        caller: &Env<'p>,
        bound: Env<'p>,
        v: Val,
        out: &mut Out,
    ) -> Flow {
        let Some((first, rest)) = args.split_first() else {
            let body = &self.defs.get(def).ok_or(Stop::Unsure)?.body;
            return self.run(body, &bound, v, out);
        };
        match first {
            Arg::Filter(f) => {
                let bound = bound.push(Bound::Filter(f, caller.clone()));
                self.call(def, rest, caller, bound, v, out)
            }
            Arg::Value(f) => self.run(f, caller, v.clone(), &mut |x| {
                self.call(def, rest, caller, bound.with_value(x), v.clone(), out)
            }),
        }
    }

    fn string(
        &self,
        pieces: &'p [StrPiece],
        env: &Env<'p>,
        v: &Val,
        mut acc: String,
        out: &mut Out,
    ) -> Flow {
        let Some((piece, rest)) = pieces.split_first() else {
            return out(Val::from(acc));
        };
        match piece {
            StrPiece::Text(text) => {
                acc.push_str(text);
                self.string(rest, env, v, acc, out)
            }
            StrPiece::Interpolate(f) => self.run(f, env, v.clone(), &mut |x| {
                if partial(&x) {
                    return Err(Stop::Unsure);
                }
                let mut next = acc.clone();
                match x.into_string() {
                    Val::TStr(bytes) => {
                        next.push_str(std::str::from_utf8(&bytes).map_err(|_| Stop::Unsure)?)
                    }
                    _ => return Err(Stop::Unsure),
                }
                self.string(rest, env, v, next, out)
            }),
        }
    }

    /// `{k1: v1, k2: v2, …}`: each key and value is run once; with one
    /// output each (the usual case) the object is built directly, else
    /// every combination is, earlier members varying slowest.
    fn object(&self, fields: &'p [(Expr, Expr)], env: &Env<'p>, v: &Val, out: &mut Out) -> Flow {
        let mut members: Vec<(Vec<Val>, Vec<Val>)> = Vec::new();
        let mut single: Vec<(Val, Val)> = Vec::with_capacity(fields.len());
        for (k, value) in fields {
            let keys = self.outputs(k, env, v)?;
            let values = self.outputs(value, env, v)?;
            match (keys, values) {
                (Outputs::One(k), Outputs::One(x)) if members.is_empty() => single.push((k, x)),
                (keys, values) => members.push((keys.into_vec(), values.into_vec())),
            }
        }
        if members.is_empty() {
            return out(object_of(single)?);
        }
        self.combine(&members, single, out)
    }

    fn combine(
        &self,
        members: &[(Vec<Val>, Vec<Val>)],
        acc: Vec<(Val, Val)>,
        out: &mut Out,
    ) -> Flow {
        let Some(((keys, values), rest)) = members.split_first() else {
            return out(object_of(acc)?);
        };
        for k in keys {
            for value in values {
                let mut next = acc.clone();
                next.push((k.clone(), value.clone()));
                self.combine(rest, next, out)?;
            }
        }
        Ok(())
    }

    /// Every output of `e`, without a vector for the usual single one.
    fn outputs(&self, e: &'p Expr, env: &Env<'p>, v: &Val) -> Result<Outputs, Stop> {
        if let Expr::Lit(lit) = e {
            return Ok(Outputs::One(lit.val()));
        }
        let mut outputs = Outputs::None;
        self.run(e, env, v.clone(), &mut |x| {
            outputs.push(x);
            Ok(())
        })?;
        Ok(outputs)
    }

    /// Path steps in order; an index is run on the path's own input (as
    /// jaq does: `$x[.i]` reads `.i` of the input, not of `$x`).
    fn steps(
        &self,
        steps: &'p [(Step, bool)],
        env: &Env<'p>,
        input: &Val,
        y: Val,
        out: &mut Out,
    ) -> Flow {
        let Some(((step, optional), rest)) = steps.split_first() else {
            return out(y);
        };
        let failed = |optional: bool| if optional { Ok(()) } else { Err(Stop::Unsure) };
        match step {
            // A member named by a literal, the most common step, is looked
            // up without building a key value (a boxed string in jaq).
            Step::Index(Expr::Lit(Lit::Str(key))) if matches!(y, Val::Obj(_) | Val::Null) => {
                let z = match &y {
                    Val::Obj(members) => members.get(&MemberKey(key)).cloned(),
                    _ => None,
                };
                self.steps(rest, env, input, z.unwrap_or(Val::Null), out)
            }
            Step::Index(i) => {
                let index = match i {
                    Expr::Lit(lit) => lit.val(),
                    _ => {
                        let index = self.one(i, env, input.clone())?;
                        if is_pruned(&y) && !self.kept(&y, &index) {
                            return Err(Stop::Unsure);
                        }
                        index
                    }
                };
                match y.index(&index) {
                    Ok(z) => self.steps(rest, env, input, z, out),
                    Err(_) => failed(*optional),
                }
            }
            Step::Iterate => match &y {
                Val::Arr(items) => {
                    for z in items.iter() {
                        self.steps(rest, env, input, z.clone(), out)?;
                    }
                    Ok(())
                }
                Val::Obj(_) if is_pruned(&y) => Err(Stop::Unsure),
                Val::Obj(members) => {
                    for z in members.values() {
                        self.steps(rest, env, input, z.clone(), out)?;
                    }
                    Ok(())
                }
                _ => failed(*optional),
            },
            Step::Slice(from, upto) => {
                let from = from
                    .as_ref()
                    .map(|f| self.one(f, env, input.clone()))
                    .transpose()?;
                let upto = upto
                    .as_ref()
                    .map(|u| self.one(u, env, input.clone()))
                    .transpose()?;
                match y.range(from.as_ref()..upto.as_ref()) {
                    Ok(z) => self.steps(rest, env, input, z, out),
                    Err(_) => failed(*optional),
                }
            }
        }
    }

    fn builtin(
        &self,
        b: &'p Builtin,
        args: &'p [Expr],
        env: &Env<'p>,
        v: Val,
        out: &mut Out,
    ) -> Flow {
        use Builtin::*;
        match (b, args) {
            (Empty, []) => Ok(()),
            (Error | ErrorWith, _) => Err(Stop::Unsure),
            (Select, [cond]) => self.run(cond, env, v.clone(), &mut |c| {
                if c.as_bool() { out(v.clone()) } else { Ok(()) }
            }),
            (Map, [f]) => {
                let mut items = Vec::new();
                for x in builtins::elements(&v)? {
                    self.run(f, env, x, &mut |y| {
                        items.push(y);
                        Ok(())
                    })?;
                }
                out(Val::Arr(jaq_json::Rc::new(items)))
            }
            (AnyWhere, [cond]) => out(Val::Bool(self.any(&v, None, cond, env, true)?)),
            (AllWhere, [cond]) => out(Val::Bool(!self.any(&v, None, cond, env, false)?)),
            (AnyIn, [g, cond]) => out(Val::Bool(self.any(&v, Some(g), cond, env, true)?)),
            (AllIn, [g, cond]) => out(Val::Bool(!self.any(&v, Some(g), cond, env, false)?)),
            (Range, [to]) => {
                let to = self.one(to, env, v)?;
                for i in builtins::range(&Val::from(0usize), &to)? {
                    out(Val::from(i))?;
                }
                Ok(())
            }
            (RangeFrom, [from, to]) => {
                let from = self.one(from, env, v.clone())?;
                let to = self.one(to, env, v)?;
                for i in builtins::range(&from, &to)? {
                    out(Val::from(i))?;
                }
                Ok(())
            }
            (b, []) => out(builtins::apply0(b, v)?),
            (b, [a]) => {
                let a = self.one(a, env, v.clone())?;
                out(builtins::apply1(b, v, a, self.keys)?)
            }
            _ => Err(Stop::Unsure),
        }
    }

    /// Whether some output of `cond` over the elements (`.[]`, or the
    /// outputs of `g`) is truthy (`want` true: jaq's `any`) or falsy
    /// (`want` false: what makes jaq's `all` false). Stops at the first.
    fn any(
        &self,
        v: &Val,
        g: Option<&'p Expr>,
        cond: &'p Expr,
        env: &Env<'p>,
        want: bool,
    ) -> Result<bool, Stop> {
        let mut check = |x: Val| {
            self.run(cond, env, x, &mut |c| {
                if c.as_bool() == want {
                    Err(Stop::Found)
                } else {
                    Ok(())
                }
            })
        };
        let flow = match g {
            None => builtins::elements(v)?.try_for_each(&mut check),
            Some(g) => self.run(g, env, v.clone(), &mut check),
        };
        match flow {
            Ok(()) => Ok(false),
            Err(Stop::Found) => Ok(true),
            Err(Stop::Unsure) => Err(Stop::Unsure),
        }
    }
}

/// A filter's outputs, most often exactly one.
enum Outputs {
    None,
    One(Val),
    Many(Vec<Val>),
}

impl Outputs {
    fn push(&mut self, x: Val) {
        *self = match std::mem::replace(self, Outputs::None) {
            Outputs::None => Outputs::One(x),
            Outputs::One(first) => Outputs::Many(vec![first, x]),
            Outputs::Many(mut all) => {
                all.push(x);
                Outputs::Many(all)
            }
        };
    }

    fn into_vec(self) -> Vec<Val> {
        match self {
            Outputs::None => Vec::new(),
            Outputs::One(x) => vec![x],
            Outputs::Many(all) => all,
        }
    }
}

/// A member's key as bytes, found in an object as the string value it
/// equals: hashed exactly as jaq hashes `Val::TStr` (tag 5, then the
/// bytes), and equal to a text or byte string of the same bytes, as
/// `Val`'s own equality says.
struct MemberKey<'k>(&'k [u8]);

impl std::hash::Hash for MemberKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u8(5);
        self.0.hash(state);
    }
}

impl indexmap::Equivalent<Val> for MemberKey<'_> {
    fn equivalent(&self, key: &Val) -> bool {
        matches!(key, Val::TStr(b) | Val::BStr(b) if b.as_ref() == self.0)
    }
}

fn object_of(members: Vec<(Val, Val)>) -> Result<Val, Stop> {
    if members.iter().any(|(k, _)| !matches!(k, Val::TStr(_))) {
        return Err(Stop::Unsure);
    }
    Val::from_map(members).map_err(|_| Stop::Unsure)
}

impl Lit {
    pub fn val(&self) -> Val {
        match self {
            Lit::Int(i) => Val::from(*i),
            Lit::Num(text) => Val::from_num(text).unwrap_or(Val::Null),
            Lit::Str(bytes) => Val::utf8_str(bytes.clone()),
            Lit::EmptyArr => Val::Arr(Default::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MemberKey;
    use jaq_json::Val;

    #[test]
    fn member_keys_find_the_members_jaq_keys_find() {
        let names: [&[u8]; 5] = [b"", b"a", b"line_items", "caf\u{e9}".as_bytes(), b"\xff(x)"];
        let mut map = jaq_json::Map::default();
        for (i, name) in names.iter().enumerate() {
            map.insert(Val::utf8_str(name.to_vec()), Val::from(i));
        }
        map.insert(Val::byte_str(b"raw".to_vec()), Val::from(9usize));
        for (i, name) in names.iter().enumerate() {
            assert_eq!(map.get(&MemberKey(name)), Some(&Val::from(i)), "{name:?}");
        }
        assert_eq!(map.get(&MemberKey(b"raw")), Some(&Val::from(9usize)));
        assert_eq!(map.get(&MemberKey(b"missing")), None);
    }
}
