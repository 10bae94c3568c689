//! Runs a lowered program on one input. Every filter hands its outputs to
//! a callback instead of returning an iterator, so a filter with one output
//! (nearly every one in a mapping) costs a direct call, not boxed iterator
//! chains. Outputs come in jaq's order: in `l op r`, an object or a string
//! interpolation, the left or earlier part is the outer loop.

use std::rc::Rc;

use jaq_core::ops::Math;
use jaq_json::Val;

use super::Unsure;
use super::builtins::{self, Builtin};
use super::lower::{Arg, DefBody, Expr, Lit, Step, StrPiece};
use super::project::KeySet;
use super::value::{self, Obj, Text, V};

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
type Out<'o, 'p> = dyn FnMut(V<'p>) -> Flow + 'o;

/// What a variable or a filter argument is bound to.
enum Bound<'p> {
    Value(V<'p>),
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
    pub fn with_value(&self, value: V<'p>) -> Self {
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

    /// The value bound at `distance`; a filter argument there is not one.
    fn value(&self, distance: usize) -> Result<&V<'p>, Unsure> {
        match &self.node(distance)?.bound {
            Bound::Value(x) => Ok(x),
            Bound::Filter(..) => Err(Unsure),
        }
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
fn partial(v: &V<'_>) -> bool {
    v.is_container() && v.holds_pruned()
}

/// Whether `x op y` would read the content of a partial container: only
/// two containers are compared (or subtracted) member by member; `+`
/// carries the marker into its result.
fn reads_partial(x: &V<'_>, y: &V<'_>, adds: bool) -> bool {
    !adds && x.is_container() && y.is_container() && (partial(x) || partial(y))
}

impl<'p> Evaluator<'p> {
    pub fn run(&self, e: &'p Expr, env: &Env<'p>, v: V<'p>, out: &mut Out<'_, 'p>) -> Flow {
        match e {
            Expr::Id => out(v),
            Expr::Lit(lit) => out(lit.val()),
            Expr::Str(pieces) => self.string(pieces, env, &v, String::new(), out),
            Expr::Arr(_) => out(self.single(e, env, &v)?),
            Expr::Obj(fields) => self.object(fields, env, &v, out),
            Expr::Record(fields) => self.record(fields, env, &v, out),
            Expr::Neg(f) => self.run(f, env, v, &mut |x| {
                let negated = match x {
                    V::Num(n) => V::from_val((-Val::Num(n)).map_err(|_| Stop::Unsure)?)?,
                    _ => return Err(Stop::Unsure),
                };
                out(negated)
            }),
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
                    out(V::Bool(*stop))
                } else {
                    self.run(r, env, v.clone(), &mut |y| out(V::Bool(y.as_bool())))
                }
            }),
            Expr::Math(l, op, r) => self.run(l, env, v.clone(), &mut |x| {
                self.run(r, env, v.clone(), &mut |y| {
                    out(arithmetic(x.clone(), op, y)?)
                })
            }),
            Expr::Cmp(l, op, r) => self.run(l, env, v.clone(), &mut |x| {
                self.run(r, env, v.clone(), &mut |y| out(comparison(op, &x, &y)?))
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
            Expr::Var(distance) => out(env.value(*distance)?.clone()),
            Expr::CallArg(distance) => match &env.node(*distance)?.bound {
                Bound::Filter(f, closure) => self.run(f, closure, v, out),
                Bound::Value(_) => Err(Stop::Unsure),
            },
            Expr::CallDef { def, skip, args } => {
                let base = env.skip(*skip)?;
                self.call(*def, args, env, base, v, out)
            }
            Expr::Builtin(b, args) => self.builtin(b, args, env, v, out),
            Expr::Single(e) => out(self.single(e, env, &v)?),
            Expr::Path(f, steps) => {
                // Member names on `.` or a variable (`.sku`, `$o.customer.id`),
                // most of a mapping's paths: walked by reference, only the
                // member found is cloned.
                if let Some(start) = path_start(f, env, &v)?
                    && let Some(found) = named_members(start, steps)
                {
                    return out(found);
                }
                self.run(f, env, v.clone(), &mut |y| {
                    self.steps(steps, env, &v, y, out)
                })
            }
        }
    }

    /// Whether member `key` of a pruned object is as in the payload: named
    /// by the program, or present (only unnamed containers were skipped).
    fn kept(&self, object: &V<'p>, key: &V<'p>) -> bool {
        match (object, key) {
            (V::Obj(members), V::Str(k)) => self.keys.contains(k) || members.contains(k),
            _ => true,
        }
    }

    /// The one output of a part marked single (`single`), returned rather
    /// than handed to a callback; as [`Self::one`] would give it (none or
    /// several outputs, or any failure, make the evaluator unsure). Each
    /// case mirrors its case in [`Self::run`].
    pub fn single(&self, e: &'p Expr, env: &Env<'p>, v: &V<'p>) -> Result<V<'p>, Stop> {
        match e {
            Expr::Id => Ok(v.clone()),
            Expr::Lit(lit) => Ok(lit.val()),
            Expr::Single(e) => self.single(e, env, v),
            Expr::Var(distance) => Ok(env.value(*distance)?.clone()),
            Expr::Path(f, steps) => {
                let owned;
                let base = match path_start(f, env, v)? {
                    Some(start) => start,
                    None => {
                        owned = self.single(f, env, v)?;
                        &owned
                    }
                };
                if let Some(found) = named_members(base, steps) {
                    return Ok(found);
                }
                self.one_of(|out| self.steps(steps, env, v, base.clone(), out))
            }
            Expr::Pipe(l, r) => {
                let x = self.single(l, env, v)?;
                self.single(r, env, &x)
            }
            Expr::Bind(l, r) => {
                let x = self.single(l, env, v)?;
                self.single(r, &env.with_value(x), v)
            }
            Expr::Alt(l, r) => {
                let x = self.single(l, env, v)?;
                if x.as_bool() {
                    Ok(x)
                } else {
                    self.single(r, env, v)
                }
            }
            Expr::Logic(l, stop, r) => {
                let x = self.single(l, env, v)?;
                if x.as_bool() == *stop {
                    Ok(V::Bool(*stop))
                } else {
                    Ok(V::Bool(self.single(r, env, v)?.as_bool()))
                }
            }
            Expr::Math(l, op, r) => {
                let x = self.single(l, env, v)?;
                arithmetic(x, op, self.single(r, env, v)?)
            }
            Expr::Cmp(l, op, r) => {
                let x = self.single(l, env, v)?;
                comparison(op, &x, &self.single(r, env, v)?)
            }
            Expr::If(cond, then, else_) => {
                let c = self.single(cond, env, v)?;
                self.single(if c.as_bool() { then } else { else_ }, env, v)
            }
            Expr::Record(fields) => {
                let mut members = Vec::with_capacity(fields.len());
                for (key, f) in fields {
                    members.push((Text::Borrowed(key), self.single(f, env, v)?));
                }
                Ok(V::obj(Obj::from_distinct(members)))
            }
            Expr::Arr(f) => {
                let mut items = Vec::new();
                self.run(f, env, v.clone(), &mut |x| {
                    items.push(x);
                    Ok(())
                })?;
                Ok(V::Arr(Rc::new(items)))
            }
            Expr::Str(pieces) => {
                let mut text = String::new();
                for piece in pieces {
                    match piece {
                        StrPiece::Text(t) => text.push_str(t),
                        StrPiece::Interpolate(f) => {
                            push_interpolated(&mut text, self.single(f, env, v)?)?
                        }
                    }
                }
                Ok(V::str(text))
            }
            Expr::CallDef { def, skip, args }
                if args.iter().all(|a| matches!(a, Arg::Value(_))) =>
            {
                let mut bound = env.skip(*skip)?;
                for arg in args {
                    if let Arg::Value(f) = arg {
                        bound = bound.with_value(self.single(f, env, v)?);
                    }
                }
                let body = &self.defs.get(*def).ok_or(Stop::Unsure)?.body;
                self.single(body, &bound, v)
            }
            Expr::Builtin(
                Builtin::Empty | Builtin::Select | Builtin::Range | Builtin::RangeFrom,
                _,
            ) => self.one(e, env, v.clone()),
            Expr::Builtin(b, args) => self.single_builtin(b, args, env, v),
            _ => self.one(e, env, v.clone()),
        }
    }

    /// The builtins with one output (or a failure), for [`Self::single`] and
    /// [`Self::builtin`]; the generators (`empty`, `select`, `range`) are
    /// [`Self::builtin`]'s alone. Inlined: nearly every builtin call comes
    /// through [`Self::single`], and out of line the call costs ~1.5k
    /// instructions a Shopify order (callgrind).
    #[inline(always)]
    fn single_builtin(
        &self,
        b: &'p Builtin,
        args: &'p [Expr],
        env: &Env<'p>,
        v: &V<'p>,
    ) -> Result<V<'p>, Stop> {
        use Builtin::*;
        match (b, args) {
            (Error | ErrorWith, _) => Err(Stop::Unsure),
            (Map, [f]) => {
                let mut items = Vec::new();
                for x in builtins::elements(v)? {
                    self.run(f, env, x, &mut |y| {
                        items.push(y);
                        Ok(())
                    })?;
                }
                Ok(V::Arr(Rc::new(items)))
            }
            (AnyWhere, [cond]) => Ok(V::Bool(self.any(v, None, cond, env, true)?)),
            (AllWhere, [cond]) => Ok(V::Bool(!self.any(v, None, cond, env, false)?)),
            (AnyIn, [g, cond]) => Ok(V::Bool(self.any(v, Some(g), cond, env, true)?)),
            (AllIn, [g, cond]) => Ok(V::Bool(!self.any(v, Some(g), cond, env, false)?)),
            (b, []) if b.by_value() => Ok(builtins::apply0(b, v.clone())?),
            (b, [a]) if b.by_value() => {
                let a = self.single(a, env, v)?;
                Ok(builtins::apply1(b, v.clone(), a, self.keys)?)
            }
            _ => Err(Stop::Unsure),
        }
    }

    /// The one output `run` hands to its callback; none or several go to
    /// jaq.
    fn one_of(&self, run: impl FnOnce(&mut Out<'_, 'p>) -> Flow) -> Result<V<'p>, Stop> {
        let mut found: Option<V<'p>> = None;
        let mut several = false;
        run(&mut |x| {
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

    /// The one output of `e`; none or several go to jaq.
    fn one(&self, e: &'p Expr, env: &Env<'p>, v: V<'p>) -> Result<V<'p>, Stop> {
        self.one_of(|out| self.run(e, env, v, out))
    }

    /// Binds the call's arguments (value parameters once per output, in
    /// order), then runs the definition's body.
    fn call(
        &self,
        def: usize,
        args: &'p [Arg],
        caller: &Env<'p>,
        bound: Env<'p>,
        v: V<'p>,
        out: &mut Out<'_, 'p>,
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
        v: &V<'p>,
        mut acc: String,
        out: &mut Out<'_, 'p>,
    ) -> Flow {
        let Some((piece, rest)) = pieces.split_first() else {
            return out(V::str(acc));
        };
        match piece {
            StrPiece::Text(text) => {
                acc.push_str(text);
                self.string(rest, env, v, acc, out)
            }
            StrPiece::Interpolate(f) => self.run(f, env, v.clone(), &mut |x| {
                let mut next = acc.clone();
                push_interpolated(&mut next, x)?;
                self.string(rest, env, v, next, out)
            }),
        }
    }

    /// `{k1: v1, k2: v2, …}`: each key and value is run once; with one
    /// output each (the usual case) the object is built directly, else
    /// every combination is, earlier members varying slowest.
    fn object(
        &self,
        fields: &'p [(Expr, Expr)],
        env: &Env<'p>,
        v: &V<'p>,
        out: &mut Out<'_, 'p>,
    ) -> Flow {
        let mut members: Vec<(Vec<V<'p>>, Vec<V<'p>>)> = Vec::new();
        let mut single: Vec<(V<'p>, V<'p>)> = Vec::with_capacity(fields.len());
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

    /// `{k1: v1, …}` with distinct literal keys: with one output per value
    /// (the usual case) the object is built as it is; else every
    /// combination is, as [`Self::object`] builds them.
    fn record(
        &self,
        fields: &'p [(Box<[u8]>, Expr)],
        env: &Env<'p>,
        v: &V<'p>,
        out: &mut Out<'_, 'p>,
    ) -> Flow {
        let mut members = Vec::with_capacity(fields.len());
        for (at, (key, value)) in fields.iter().enumerate() {
            let outputs = match self.outputs(value, env, v)? {
                Outputs::One(x) => {
                    members.push((Text::Borrowed(key), x));
                    continue;
                }
                several_or_none => several_or_none,
            };
            let mut rest = vec![(vec![V::Str(Text::Borrowed(key))], outputs.into_vec())];
            for (key, value) in &fields[at + 1..] {
                rest.push((
                    vec![V::Str(Text::Borrowed(key))],
                    self.outputs(value, env, v)?.into_vec(),
                ));
            }
            let done = members.into_iter().map(|(k, x)| (V::Str(k), x)).collect();
            return self.combine(&rest, done, out);
        }
        out(V::obj(Obj::from_distinct(members)))
    }

    fn combine(
        &self,
        members: &[(Vec<V<'p>>, Vec<V<'p>>)],
        acc: Vec<(V<'p>, V<'p>)>,
        out: &mut Out<'_, 'p>,
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
    fn outputs(&self, e: &'p Expr, env: &Env<'p>, v: &V<'p>) -> Result<Outputs<'p>, Stop> {
        match e {
            Expr::Lit(lit) => return Ok(Outputs::One(lit.val())),
            Expr::Single(e) => return Ok(Outputs::One(self.single(e, env, v)?)),
            _ => {}
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
        input: &V<'p>,
        y: V<'p>,
        out: &mut Out<'_, 'p>,
    ) -> Flow {
        let Some(((step, optional), rest)) = steps.split_first() else {
            return out(y);
        };
        let failed = |optional: bool| if optional { Ok(()) } else { Err(Stop::Unsure) };
        match step {
            // A member named by a literal, the most common step, is looked
            // up without building a key value (a boxed string in jaq).
            Step::Index(Expr::Lit(Lit::Str(key))) if matches!(y, V::Obj(_) | V::Null) => {
                let z = match &y {
                    V::Obj(members) => members.get(key).cloned(),
                    _ => None,
                };
                self.steps(rest, env, input, z.unwrap_or(V::Null), out)
            }
            Step::Index(i) => {
                let index = match i {
                    Expr::Lit(lit) => lit.val(),
                    _ => {
                        let index = self.one(i, env, input.clone())?;
                        if y.is_pruned() && !self.kept(&y, &index) {
                            return Err(Stop::Unsure);
                        }
                        index
                    }
                };
                // Indexing an array by an array compares their items
                // whole: not items missing members.
                if matches!(index, V::Arr(_)) && (partial(&y) || partial(&index)) {
                    return Err(Stop::Unsure);
                }
                match y.index(&index) {
                    Some(z) => self.steps(rest, env, input, z, out),
                    None => failed(*optional),
                }
            }
            Step::Iterate => match &y {
                V::Arr(items) => {
                    for z in items.iter() {
                        self.steps(rest, env, input, z.clone(), out)?;
                    }
                    Ok(())
                }
                V::Obj(_) if y.is_pruned() => Err(Stop::Unsure),
                V::Obj(members) => {
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
                let (from, upto) = (from.map(|f| f.to_val()), upto.map(|u| u.to_val()));
                match jaq_core::ValT::range(y.to_val(), from.as_ref()..upto.as_ref()) {
                    Ok(z) => self.steps(rest, env, input, V::from_val(z)?, out),
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
        v: V<'p>,
        out: &mut Out<'_, 'p>,
    ) -> Flow {
        use Builtin::*;
        match (b, args) {
            (Empty, []) => Ok(()),
            (Select, [cond]) => self.run(cond, env, v.clone(), &mut |c| {
                if c.as_bool() { out(v.clone()) } else { Ok(()) }
            }),
            (Range, [to]) => {
                let to = self.one(to, env, v)?;
                for i in builtins::range(&V::int(0), &to)? {
                    out(V::int(i))?;
                }
                Ok(())
            }
            (RangeFrom, [from, to]) => {
                let from = self.one(from, env, v.clone())?;
                let to = self.one(to, env, v)?;
                for i in builtins::range(&from, &to)? {
                    out(V::int(i))?;
                }
                Ok(())
            }
            (Empty | Select | Range | RangeFrom, _) => Err(Stop::Unsure),
            _ => out(self.single_builtin(b, args, env, &v)?),
        }
    }

    /// Whether some output of `cond` over the elements (`.[]`, or the
    /// outputs of `g`) is truthy (`want` true: jaq's `any`) or falsy
    /// (`want` false: what makes jaq's `all` false). Stops at the first.
    fn any(
        &self,
        v: &V<'p>,
        g: Option<&'p Expr>,
        cond: &'p Expr,
        env: &Env<'p>,
        want: bool,
    ) -> Result<bool, Stop> {
        let mut check = |x: V<'p>| {
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
enum Outputs<'p> {
    None,
    One(V<'p>),
    Many(Vec<V<'p>>),
}

impl<'p> Outputs<'p> {
    fn push(&mut self, x: V<'p>) {
        *self = match std::mem::replace(self, Outputs::None) {
            Outputs::None => Outputs::One(x),
            Outputs::One(first) => Outputs::Many(vec![first, x]),
            Outputs::Many(mut all) => {
                all.push(x);
                Outputs::Many(all)
            }
        };
    }

    fn into_vec(self) -> Vec<V<'p>> {
        match self {
            Outputs::None => Vec::new(),
            Outputs::One(x) => vec![x],
            Outputs::Many(all) => all,
        }
    }
}

/// `base.k1.k2…` when every step is a literal member name and every value
/// on the way is an object or null (a missing member is null, as
/// [`Evaluator::steps`] reads it); `None` for any other path.
fn named_members<'p>(base: &V<'p>, steps: &[(Step, bool)]) -> Option<V<'p>> {
    let null = V::Null;
    let mut at = base;
    for (step, _) in steps {
        let Step::Index(Expr::Lit(Lit::Str(key))) = step else {
            return None;
        };
        at = match at {
            V::Obj(members) => members.get(key).unwrap_or(&null),
            V::Null => &null,
            _ => return None,
        };
    }
    Some(at.clone())
}

/// The value a path starts from, by reference, when it starts at `.` or
/// a variable; `None` for any other start.
fn path_start<'a, 'p>(
    f: &Expr,
    env: &'a Env<'p>,
    v: &'a V<'p>,
) -> Result<Option<&'a V<'p>>, Unsure> {
    Ok(match f {
        Expr::Id => Some(v),
        Expr::Var(distance) => Some(env.value(*distance)?),
        _ => None,
    })
}

/// `x op y` for jq's arithmetic: not on two containers either of which
/// holds an object missing members, unless added (`+` carries the marker).
fn arithmetic<'p>(x: V<'p>, op: &Math, y: V<'p>) -> Result<V<'p>, Stop> {
    if reads_partial(&x, &y, matches!(op, Math::Add)) {
        return Err(Stop::Unsure);
    }
    Ok(value::math(x, op, y)?)
}

/// `x op y` for jq's comparisons, not reading objects missing members.
fn comparison<'p>(op: &jaq_core::ops::Cmp, x: &V<'p>, y: &V<'p>) -> Result<V<'p>, Stop> {
    if reads_partial(x, y, false) {
        return Err(Stop::Unsure);
    }
    Ok(V::Bool(compare(op, x, y)))
}

/// Appends an interpolated value (`"\(f)"`) as jaq prints it: not a
/// container holding an object missing members.
fn push_interpolated(text: &mut String, x: V<'_>) -> Result<(), Stop> {
    if partial(&x) {
        return Err(Stop::Unsure);
    }
    match x.into_string() {
        V::Str(bytes) => text.push_str(std::str::from_utf8(&bytes).map_err(|_| Stop::Unsure)?),
        _ => return Err(Stop::Unsure),
    }
    Ok(())
}

/// `x op y` for jq's comparison operators, in jaq's order and equality.
fn compare(op: &jaq_core::ops::Cmp, x: &V<'_>, y: &V<'_>) -> bool {
    use jaq_core::ops::Cmp;
    use std::cmp::Ordering::*;
    match op {
        Cmp::Eq => value::eq(x, y),
        Cmp::Ne => !value::eq(x, y),
        Cmp::Lt => value::cmp(x, y) == Less,
        Cmp::Gt => value::cmp(x, y) == Greater,
        Cmp::Le => value::cmp(x, y) != Greater,
        Cmp::Ge => value::cmp(x, y) != Less,
    }
}

/// An object built from its members' outputs: keys must be text.
fn object_of<'p>(members: Vec<(V<'p>, V<'p>)>) -> Result<V<'p>, Stop> {
    let mut obj = Obj::with_capacity(members.len());
    for (k, v) in members {
        match k {
            V::Str(key) => obj.insert(key, v),
            _ => return Err(Stop::Unsure),
        }
    }
    Ok(V::obj(obj))
}

impl Lit {
    pub fn val(&self) -> V<'_> {
        match self {
            Lit::Int(i) => V::int(*i),
            Lit::Num(text) => jaq_core::ValT::from_num(text)
                .ok()
                .and_then(|n| V::from_val(n).ok())
                .unwrap_or(V::Null),
            Lit::Str(bytes) => V::Str(Text::Borrowed(bytes)),
            Lit::EmptyArr => V::Arr(Default::default()),
        }
    }
}
