//! A pull parser over quick-xml. Never panics: every unexpected event is an
//! [`Error`] with the byte position, and nesting is bounded by [`MAX_DEPTH`]
//! so hostile input cannot overflow the stack.

use base64::Engine;
use chrono::NaiveDateTime;
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::{Error, MethodCall, MethodResponse, Value};

/// Deepest nesting of arrays/structs accepted (serde_json uses 128 too).
pub const MAX_DEPTH: usize = 128;

/// Parses a `<methodCall>` document.
pub fn parse_method_call(xml: &str) -> Result<MethodCall, Error> {
    let mut p = Parser::new(xml);
    p.expect_start("methodCall")?;
    p.expect_start("methodName")?;
    let method = p.text_until_end("methodName")?;
    let method = method.trim().to_string();
    let mut params = Vec::new();
    match p.next_tag()? {
        Tok::End(name, _) if name == "methodCall" => {}
        Tok::Empty(name, _) if name == "params" => p.expect_end("methodCall")?,
        Tok::Start(name, _) if name == "params" => {
            loop {
                match p.next_tag()? {
                    Tok::End(name, _) if name == "params" => break,
                    Tok::Start(name, _) if name == "param" => {
                        params.push(p.param_value()?);
                    }
                    other => return Err(other.unexpected("<param> or </params>")),
                }
            }
            p.expect_end("methodCall")?;
        }
        other => return Err(other.unexpected("<params> or </methodCall>")),
    }
    p.expect_eof()?;
    Ok(MethodCall { method, params })
}

/// Parses a `<methodResponse>` document: exactly one `<param>`, or a
/// `<fault>` whose struct has an integer `faultCode` (a numeric string is
/// accepted) and a string `faultString`.
pub fn parse_method_response(xml: &str) -> Result<MethodResponse, Error> {
    let mut p = Parser::new(xml);
    p.expect_start("methodResponse")?;
    let response = match p.next_tag()? {
        Tok::Start(name, _) if name == "params" => {
            let pos = p.pos();
            match p.next_tag()? {
                Tok::Start(name, _) if name == "param" => {}
                other => return Err(other.unexpected("<param> (a response has exactly one)")),
            }
            let value = p.param_value()?;
            match p.next_tag()? {
                Tok::End(name, _) if name == "params" => {}
                Tok::Start(name, pos2) if name == "param" => {
                    return Err(Error::Unexpected {
                        position: pos2,
                        expected: "</params> (a response has exactly one <param>)".into(),
                        found: format!("a second <param> (params start at byte {pos})"),
                    });
                }
                other => return Err(other.unexpected("</params>")),
            }
            MethodResponse::Success(value)
        }
        Tok::Start(name, fault_pos) if name == "fault" => {
            p.expect_start("value")?;
            let v = p.value_body(0)?;
            p.expect_end("fault")?;
            fault_from(v, fault_pos)?
        }
        other => return Err(other.unexpected("<params> or <fault>")),
    };
    p.expect_end("methodResponse")?;
    p.expect_eof()?;
    Ok(response)
}

/// Parses one `<value>...</value>` element (a fragment, no XML declaration
/// needed).
pub fn parse_value(xml: &str) -> Result<Value, Error> {
    let mut p = Parser::new(xml);
    p.expect_start("value")?;
    let v = p.value_body(0)?;
    p.expect_eof()?;
    Ok(v)
}

fn fault_from(v: Value, position: u64) -> Result<MethodResponse, Error> {
    let bad = |what: &str| Error::Unexpected {
        position,
        expected: "a <fault> struct with int faultCode and string faultString".into(),
        found: what.to_string(),
    };
    if !matches!(v, Value::Struct(_)) {
        return Err(bad(&format!("a <{}>", v.type_name())));
    }
    let code = match v.get("faultCode") {
        Some(Value::Int(i)) => *i,
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| bad(&format!("faultCode {s:?}")))?,
        Some(other) => return Err(bad(&format!("faultCode of type {}", other.type_name()))),
        None => return Err(bad("no faultCode")),
    };
    let string = match v.get("faultString") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(bad(&format!("faultString of type {}", other.type_name()))),
        None => return Err(bad("no faultString")),
    };
    Ok(MethodResponse::Fault { code, string })
}

/// The events the grammar cares about.
enum Tok {
    Start(String, u64),
    Empty(String, u64),
    End(String, u64),
    /// Unescaped text (or CDATA); may be whitespace.
    Text(String, u64),
    Eof(u64),
}

impl Tok {
    fn unexpected(self, expected: &str) -> Error {
        let (found, position) = match self {
            Tok::Start(n, p) => (format!("<{n}>"), p),
            Tok::Empty(n, p) => (format!("<{n}/>"), p),
            Tok::End(n, p) => (format!("</{n}>"), p),
            Tok::Text(t, p) => (format!("text {:?}", truncate(&t)), p),
            Tok::Eof(p) => ("end of input".to_string(), p),
        };
        Error::Unexpected {
            position,
            expected: expected.to_string(),
            found,
        }
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    /// One token of look-back, used by `value_body`.
    peeked: Option<Tok>,
}

impl<'a> Parser<'a> {
    fn new(xml: &'a str) -> Parser<'a> {
        let mut reader = Reader::from_str(xml);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Parser {
            reader,
            peeked: None,
        }
    }

    fn pos(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn xml_err(&self, e: impl std::fmt::Display) -> Error {
        Error::Xml {
            position: self.reader.error_position(),
            message: e.to_string(),
        }
    }

    /// The next token, skipping the declaration, comments, processing
    /// instructions and doctype.
    fn next(&mut self) -> Result<Tok, Error> {
        if let Some(t) = self.peeked.take() {
            return Ok(t);
        }
        loop {
            let pos = self.pos();
            let ev = self.reader.read_event().map_err(|e| self.xml_err(e))?;
            return Ok(match ev {
                Event::Start(s) => Tok::Start(name_of(s.name().as_ref()), pos),
                Event::Empty(s) => Tok::Empty(name_of(s.name().as_ref()), pos),
                Event::End(e) => Tok::End(name_of(e.name().as_ref()), pos),
                Event::Text(t) => {
                    let text = t.unescape().map_err(|e| Error::Xml {
                        position: pos,
                        message: e.to_string(),
                    })?;
                    Tok::Text(text.into_owned(), pos)
                }
                Event::CData(c) => {
                    let text = std::str::from_utf8(&c).map_err(|e| Error::Xml {
                        position: pos,
                        message: format!("CDATA is not UTF-8: {e}"),
                    })?;
                    Tok::Text(text.to_string(), pos)
                }
                Event::Eof => Tok::Eof(pos),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => continue,
            });
        }
    }

    /// The next element token, skipping whitespace-only text; other text
    /// is an error.
    fn next_tag(&mut self) -> Result<Tok, Error> {
        loop {
            match self.next()? {
                Tok::Text(t, _) if t.trim().is_empty() => continue,
                Tok::Text(t, pos) => {
                    return Err(Error::Unexpected {
                        position: pos,
                        expected: "an element".into(),
                        found: format!("text {:?}", truncate(&t)),
                    });
                }
                other => return Ok(other),
            }
        }
    }

    fn expect_start(&mut self, name: &str) -> Result<(), Error> {
        match self.next_tag()? {
            Tok::Start(n, _) if n == name => Ok(()),
            other => Err(other.unexpected(&format!("<{name}>"))),
        }
    }

    fn expect_end(&mut self, name: &str) -> Result<(), Error> {
        match self.next_tag()? {
            Tok::End(n, _) if n == name => Ok(()),
            other => Err(other.unexpected(&format!("</{name}>"))),
        }
    }

    fn expect_eof(&mut self) -> Result<(), Error> {
        match self.next_tag()? {
            Tok::Eof(_) => Ok(()),
            other => Err(other.unexpected("end of input")),
        }
    }

    /// Text (and CDATA) up to `</name>`; any child element is an error.
    fn text_until_end(&mut self, name: &str) -> Result<String, Error> {
        let mut text = String::new();
        loop {
            match self.next()? {
                Tok::Text(t, _) => text.push_str(&t),
                Tok::End(n, _) if n == name => return Ok(text),
                other => return Err(other.unexpected(&format!("text or </{name}>"))),
            }
        }
    }

    /// After `<param>`: `<value>...</value></param>`.
    fn param_value(&mut self) -> Result<Value, Error> {
        self.expect_start("value")?;
        let v = self.value_body(0)?;
        self.expect_end("param")?;
        Ok(v)
    }

    /// After `<value>`: the typed child (or bare text), then `</value>`.
    fn value_body(&mut self, depth: usize) -> Result<Value, Error> {
        let mut text = String::new();
        loop {
            match self.next()? {
                Tok::Text(t, _) => text.push_str(&t),
                // `<value>text</value>` and `<value></value>` are strings.
                Tok::End(n, _) if n == "value" => return Ok(Value::String(text)),
                Tok::Start(n, pos) => {
                    if !text.trim().is_empty() {
                        return Err(Error::Unexpected {
                            position: pos,
                            expected: "either text or one type element in <value>".into(),
                            found: format!("text {:?} before <{n}>", truncate(&text)),
                        });
                    }
                    let v = self.typed(&n, pos, depth)?;
                    self.expect_end("value")?;
                    return Ok(v);
                }
                Tok::Empty(n, pos) => {
                    if !text.trim().is_empty() {
                        return Err(Error::Unexpected {
                            position: pos,
                            expected: "either text or one type element in <value>".into(),
                            found: format!("text {:?} before <{n}/>", truncate(&text)),
                        });
                    }
                    let v = empty_typed(&n, pos)?;
                    self.expect_end("value")?;
                    return Ok(v);
                }
                other => return Err(other.unexpected("a type element or </value>")),
            }
        }
    }

    /// After `<name>` (a start tag) inside `<value>`.
    fn typed(&mut self, name: &str, pos: u64, depth: usize) -> Result<Value, Error> {
        match name {
            "array" | "struct" if depth >= MAX_DEPTH => Err(Error::TooDeep {
                position: pos,
                limit: MAX_DEPTH,
            }),
            "array" => {
                let mut items = Vec::new();
                match self.next_tag()? {
                    Tok::Empty(n, _) if n == "data" => {}
                    Tok::Start(n, _) if n == "data" => loop {
                        match self.next_tag()? {
                            Tok::End(n, _) if n == "data" => break,
                            Tok::Start(n, _) if n == "value" => {
                                items.push(self.value_body(depth + 1)?)
                            }
                            Tok::Empty(n, _) if n == "value" => {
                                items.push(Value::String(String::new()))
                            }
                            other => return Err(other.unexpected("<value> or </data> in <array>")),
                        }
                    },
                    // Python tolerates a missing <data>; so do we.
                    Tok::End(n, _) if n == "array" => return Ok(Value::Array(items)),
                    other => return Err(other.unexpected("<data> in <array>")),
                }
                self.expect_end("array")?;
                Ok(Value::Array(items))
            }
            "struct" => {
                let mut members = Vec::new();
                loop {
                    match self.next_tag()? {
                        Tok::End(n, _) if n == "struct" => return Ok(Value::Struct(members)),
                        Tok::Start(n, _) if n == "member" => {
                            let key = match self.next_tag()? {
                                Tok::Start(n, _) if n == "name" => self.text_until_end("name")?,
                                Tok::Empty(n, _) if n == "name" => String::new(),
                                other => return Err(other.unexpected("<name> in <member>")),
                            };
                            let value = match self.next_tag()? {
                                Tok::Start(n, _) if n == "value" => self.value_body(depth + 1)?,
                                Tok::Empty(n, _) if n == "value" => Value::String(String::new()),
                                other => return Err(other.unexpected("<value> in <member>")),
                            };
                            self.expect_end("member")?;
                            members.push((key, value));
                        }
                        other => return Err(other.unexpected("<member> or </struct>")),
                    }
                }
            }
            "nil" | "ex:nil" => {
                self.expect_end(name)?;
                Ok(Value::Nil)
            }
            _ => {
                let text = self.text_until_end(name)?;
                scalar(name, &text, pos)
            }
        }
    }
}

/// `<string/>`, `<nil/>`, `<array/>`... inside `<value>`.
fn empty_typed(name: &str, pos: u64) -> Result<Value, Error> {
    match name {
        "nil" | "ex:nil" => Ok(Value::Nil),
        "array" => Ok(Value::Array(Vec::new())),
        "struct" => Ok(Value::Struct(Vec::new())),
        _ => scalar(name, "", pos),
    }
}

fn scalar(element: &str, text: &str, position: u64) -> Result<Value, Error> {
    let invalid = |reason: &str| Error::InvalidValue {
        position,
        element: element.to_string(),
        text: truncate(text),
        reason: reason.to_string(),
    };
    match element {
        "string" => Ok(Value::String(text.to_string())),
        "int" | "i4" | "i8" | "i1" | "i2" | "biginteger" => text
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|e| invalid(&e.to_string())),
        "boolean" => match text.trim() {
            "1" | "true" => Ok(Value::Bool(true)),
            "0" | "false" => Ok(Value::Bool(false)),
            _ => Err(invalid("expected 0 or 1")),
        },
        "double" | "float" | "bigdecimal" => text
            .trim()
            .parse::<f64>()
            .map(Value::Double)
            .map_err(|e| invalid(&e.to_string())),
        "dateTime.iso8601" => parse_datetime(text.trim())
            .map(Value::DateTime)
            .ok_or_else(|| invalid("expected YYYYMMDDTHH:MM:SS")),
        "base64" => {
            let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(&compact)
                .map(Value::Base64)
                .map_err(|e| invalid(&e.to_string()))
        }
        other => Err(Error::Unexpected {
            position,
            expected: "an XML-RPC type (int, i4, i8, boolean, string, double, \
                       dateTime.iso8601, base64, array, struct, nil)"
                .into(),
            found: format!("<{other}>"),
        }),
    }
}

/// `20261127T00:24:47` (Python's format), also with dashes, fractions of a
/// second and a trailing `Z`.
fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    for fmt in [
        "%Y%m%dT%H:%M:%S",
        "%Y%m%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y%m%dT%H%M%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt);
        }
    }
    None
}

fn name_of(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}
