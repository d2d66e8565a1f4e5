//! The dependency graph of one module, built as Terraform builds it: one
//! node per local value, resource, output, module input variable and module
//! output, so two module calls may read each other's *different* outputs
//! and a resource may feed a module whose other output it reads.
//!
//! A cycle in that graph is one Terraform rejects too; it is reported and
//! its nodes are left unknown. Evaluation still runs a module call as a
//! whole, so calls that are tied together only through different inputs and
//! outputs form a [`Step::Group`], which the loader evaluates to a fixpoint.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::rc::Rc;

use hcl::edit::expr::{Expression, TraversalOperator};
use hcl::edit::structure::Body;
use hcl::edit::visit::{self, Visit};
use hcl::edit::Span;

use super::module::ModuleDef;

/// What a module's outputs depend on: output name → input variable names.
/// `None` for a call whose module cannot be read (its outputs are unknown
/// constants, depending on nothing).
pub type OutDeps = Option<Rc<BTreeMap<String, BTreeSet<String>>>>;

/// A node of the fine graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FNode {
    Var(String),
    Local(String),
    Res(String),
    Output(String),
    /// An input of a module call; `""` stands for its `count`, `for_each`
    /// and `depends_on`.
    CallIn(String, String),
    CallOut(String, String),
}

/// A unit of evaluation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    Local(String),
    Res(String),
    Call(String),
    Output(String),
}

impl FNode {
    pub fn show(&self) -> String {
        match self {
            FNode::Var(n) => format!("var.{n}"),
            FNode::Local(n) => format!("local.{n}"),
            FNode::Res(n) => n.clone(),
            FNode::Output(n) => format!("output.{n}"),
            FNode::CallIn(m, v) if v.is_empty() => format!("module.{m}"),
            FNode::CallIn(m, v) => format!("module.{m}.var.{v}"),
            FNode::CallOut(m, o) => format!("module.{m}.output.{o}"),
        }
    }

    fn coarse(&self) -> Option<Node> {
        Some(match self {
            FNode::Var(_) => return None,
            FNode::Local(n) => Node::Local(n.clone()),
            FNode::Res(n) => Node::Res(n.clone()),
            FNode::Output(n) => Node::Output(n.clone()),
            FNode::CallIn(m, _) | FNode::CallOut(m, _) => Node::Call(m.clone()),
        })
    }
}

/// A node's file index, span and dependencies.
pub struct Info {
    pub file: usize,
    pub span: Option<Range<usize>>,
    pub deps: BTreeSet<FNode>,
}

pub struct Graph {
    pub nodes: BTreeMap<FNode, Info>,
}

/// A cycle Terraform would reject: its nodes in order, and where to point.
pub struct Cycle {
    pub names: Vec<String>,
    pub file: usize,
    pub span: Option<Range<usize>>,
}

/// The evaluation plan of a module.
#[derive(Debug, PartialEq)]
pub enum Step {
    One(Node),
    /// Module calls (with what lies between them) that feed each other
    /// through different inputs and outputs.
    Group(Vec<Node>),
}

/// Collects `root.a.b` name chains of traversals.
#[derive(Default)]
struct Refs(Vec<Vec<String>>);

impl Visit for Refs {
    fn visit_expr(&mut self, e: &Expression) {
        match e {
            Expression::Variable(v) => self.0.push(vec![v.as_str().to_string()]),
            Expression::Traversal(t) => {
                if let Expression::Variable(v) = &t.expr {
                    let mut chain = vec![v.as_str().to_string()];
                    for op in &t.operators {
                        match op.value() {
                            TraversalOperator::GetAttr(a) if chain.len() < 3 => {
                                chain.push(a.as_str().to_string())
                            }
                            _ => break,
                        }
                    }
                    self.0.push(chain);
                }
                visit::visit_traversal(self, t);
            }
            _ => visit::visit_expr(self, e),
        }
    }
}

fn expr_chains(e: &Expression) -> Vec<Vec<String>> {
    let mut r = Refs::default();
    r.visit_expr(e);
    r.0
}

fn body_chains(b: &Body) -> Vec<Vec<String>> {
    let mut r = Refs::default();
    r.visit_body(b);
    r.0
}

/// Whether an expression's value is sensitive: it reads one of the given
/// `var.x` / `local.y` names, or marks a value with `sensitive()`.
pub fn mentions(e: &Expression, names: &BTreeSet<String>) -> bool {
    let reads = !names.is_empty()
        && expr_chains(e)
            .iter()
            .any(|c| c.len() >= 2 && names.contains(&format!("{}.{}", c[0], c[1])));
    reads || {
        let mut m = MarksSensitive(false);
        m.visit_expr(e);
        m.0
    }
}

/// Finds a `sensitive(…)` call.
struct MarksSensitive(bool);

impl Visit for MarksSensitive {
    fn visit_func_call(&mut self, f: &hcl::edit::expr::FuncCall) {
        let ns: Vec<&str> = f.name.namespace.iter().map(|n| n.as_str()).collect();
        let core = ns.is_empty() || ns == ["core"];
        if core && f.name.name.as_str() == "sensitive" {
            self.0 = true;
        }
        visit::visit_func_call(self, f);
    }
}

/// The fine nodes a name chain depends on. `outs` gives a call's output
/// dependencies (to know its output names).
fn deps_of(chains: Vec<Vec<String>>, calls: &BTreeMap<String, OutDeps>) -> BTreeSet<FNode> {
    let mut out = BTreeSet::new();
    for c in chains {
        let a = |i: usize| c.get(i).cloned();
        let node = match c[0].as_str() {
            "var" => a(1).map(FNode::Var),
            "local" => a(1).map(FNode::Local),
            "module" => {
                let Some(m) = a(1) else { continue };
                match (a(2), calls.get(&m)) {
                    (Some(o), _) => Some(FNode::CallOut(m, o)),
                    // The whole module object: every output.
                    (None, Some(Some(outs))) => {
                        out.extend(outs.keys().map(|o| FNode::CallOut(m.clone(), o.clone())));
                        None
                    }
                    (None, _) => Some(FNode::CallOut(m, String::new())),
                }
            }
            "data" => a(1)
                .zip(a(2))
                .map(|(t, n)| FNode::Res(format!("data.{t}.{n}"))),
            "resource" => a(1).zip(a(2)).map(|(t, n)| FNode::Res(format!("{t}.{n}"))),
            "each" | "count" | "path" | "terraform" | "self" | "ephemeral" => None,
            t => a(1).map(|n| FNode::Res(format!("{t}.{n}"))),
        };
        out.extend(node);
    }
    out
}

/// Meta-arguments of a module call that are not input variables.
pub const CALL_META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Builds a module's fine graph. `calls` holds each call's output
/// dependencies.
pub fn build(def: &ModuleDef, calls: &BTreeMap<String, OutDeps>) -> Graph {
    let mut nodes = BTreeMap::new();
    let mut add = |n: FNode, file: usize, span: Option<Range<usize>>, deps: BTreeSet<FNode>| {
        nodes.insert(n, Info { file, span, deps });
    };
    for (n, d) in &def.locals {
        add(
            FNode::Local(n.clone()),
            d.file,
            d.item.span(),
            deps_of(expr_chains(&d.item.value), calls),
        );
    }
    for (k, d) in &def.resources {
        add(
            FNode::Res(k.clone()),
            d.file,
            d.item.block.span(),
            deps_of(body_chains(&d.item.block.body), calls),
        );
    }
    for (n, d) in &def.outputs {
        add(
            FNode::Output(n.clone()),
            d.file,
            d.item.span(),
            deps_of(body_chains(&d.item.body), calls),
        );
    }
    for (m, d) in &def.calls {
        let b = &d.item.body;
        let span = d.item.span();
        let mut meta = BTreeSet::new();
        for a in b.attributes() {
            let k = a.key.as_str();
            let deps = deps_of(expr_chains(&a.value), calls);
            if CALL_META.contains(&k) {
                meta.extend(deps);
            } else {
                add(
                    FNode::CallIn(m.clone(), k.to_string()),
                    d.file,
                    span.clone(),
                    deps,
                );
            }
        }
        add(
            FNode::CallIn(m.clone(), String::new()),
            d.file,
            span.clone(),
            meta,
        );
        let meta_node = FNode::CallIn(m.clone(), String::new());
        // Outputs of a module that cannot be read are unknown constants.
        if let Some(Some(outs)) = calls.get(m) {
            for (o, vars) in outs.iter() {
                let mut deps: BTreeSet<FNode> = vars
                    .iter()
                    .map(|v| FNode::CallIn(m.clone(), v.clone()))
                    .collect();
                deps.insert(meta_node.clone());
                add(
                    FNode::CallOut(m.clone(), o.clone()),
                    d.file,
                    span.clone(),
                    deps,
                );
            }
        }
        // Any other output name a caller reads.
        add(
            FNode::CallOut(m.clone(), String::new()),
            d.file,
            span.clone(),
            [meta_node].into(),
        );
    }
    Graph { nodes }
}

impl Graph {
    /// The successors of a node that are nodes of this graph. A reference to
    /// an output the module does not declare falls back to the module's
    /// catch-all output node.
    fn succ(&self, n: &FNode) -> Vec<FNode> {
        let Some(info) = self.nodes.get(n) else {
            return Vec::new();
        };
        info.deps
            .iter()
            .filter_map(|d| match d {
                d if self.nodes.contains_key(d) => Some(d.clone()),
                FNode::CallOut(m, _) => {
                    let any = FNode::CallOut(m.clone(), String::new());
                    self.nodes.contains_key(&any).then_some(any)
                }
                _ => None,
            })
            .collect()
    }

    /// For each output, the input variables it depends on, transitively.
    pub fn out_deps(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for n in self.nodes.keys() {
            let FNode::Output(name) = n else { continue };
            let mut vars = BTreeSet::new();
            let mut seen = BTreeSet::new();
            let mut stack = vec![n.clone()];
            while let Some(x) = stack.pop() {
                if !seen.insert(x.clone()) {
                    continue;
                }
                if let Some(info) = self.nodes.get(&x) {
                    for d in &info.deps {
                        if let FNode::Var(v) = d {
                            vars.insert(v.clone());
                        }
                    }
                }
                stack.extend(self.succ(&x));
            }
            out.insert(name.clone(), vars);
        }
        out
    }

    /// The evaluation plan, and the cycles Terraform would reject (whose
    /// nodes are left out of the plan).
    pub fn plan(&self) -> (Vec<Step>, Vec<Cycle>) {
        let keys: Vec<FNode> = self.nodes.keys().cloned().collect();
        let index: BTreeMap<&FNode, usize> = keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let succ: Vec<Vec<usize>> = keys
            .iter()
            .map(|k| self.succ(k).iter().map(|s| index[s]).collect())
            .collect();
        let mut cycles = Vec::new();
        let mut dropped = BTreeSet::new();
        for scc in tarjan(&succ) {
            let cyclic = scc.len() > 1 || succ[scc[0]].contains(&scc[0]);
            if cyclic {
                cycles.push(self.cycle(&keys, &succ, &scc));
                dropped.extend(scc.iter().map(|&i| keys[i].clone()));
            }
        }
        // Project onto evaluation units, then order those.
        let mut coarse: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
        for (i, k) in keys.iter().enumerate() {
            let Some(c) = k.coarse() else { continue };
            if dropped.contains(k) {
                continue;
            }
            let entry = coarse.entry(c.clone()).or_default();
            for &s in &succ[i] {
                if let Some(sc) = keys[s].coarse() {
                    if sc != c && !dropped.contains(&keys[s]) {
                        entry.insert(sc);
                    }
                }
            }
        }
        let units: Vec<Node> = coarse.keys().cloned().collect();
        let uindex: BTreeMap<&Node, usize> =
            units.iter().enumerate().map(|(i, k)| (k, i)).collect();
        let usucc: Vec<Vec<usize>> = units
            .iter()
            .map(|u| {
                coarse[u]
                    .iter()
                    .filter_map(|s| uindex.get(s).copied())
                    .collect()
            })
            .collect();
        let steps = tarjan(&usucc)
            .into_iter()
            .map(|scc| match scc.as_slice() {
                [one] => Step::One(units[*one].clone()),
                many => {
                    let mut g: Vec<Node> = many.iter().map(|&i| units[i].clone()).collect();
                    g.sort();
                    Step::Group(g)
                }
            })
            .collect();
        (steps, cycles)
    }

    /// One cycle through a strongly connected component, for the message.
    fn cycle(&self, keys: &[FNode], succ: &[Vec<usize>], scc: &[usize]) -> Cycle {
        let members: BTreeSet<usize> = scc.iter().copied().collect();
        let start = *scc.iter().min().unwrap_or(&scc[0]);
        // Breadth-first from the start back to it, inside the component.
        let mut prev: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut end = start;
        'search: while let Some(x) = queue.pop_front() {
            for &s in &succ[x] {
                if !members.contains(&s) {
                    continue;
                }
                if s == start {
                    end = x;
                    break 'search;
                }
                if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(s) {
                    e.insert(x);
                    queue.push_back(s);
                }
            }
        }
        let mut path = vec![end];
        while let Some(&p) = prev.get(path.last().unwrap_or(&start)) {
            path.push(p);
        }
        if path.last() != Some(&start) {
            path.push(start);
        }
        path.reverse();
        let mut names: Vec<String> = path.iter().map(|&i| keys[i].show()).collect();
        names.dedup();
        names.push(keys[start].show());
        let info = &self.nodes[&keys[start]];
        Cycle {
            names,
            file: info.file,
            span: info.span.clone(),
        }
    }
}

/// Tarjan's strongly connected components, iteratively (a chain of ten
/// thousand locals must not overflow the stack). Components come out
/// dependencies first.
fn tarjan(succ: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = succ.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if let Some(&w) = succ[v].get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut scc = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    scc.push(w);
                    if w == v {
                        break;
                    }
                }
                scc.sort_unstable();
                out.push(scc);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_orders_dependencies_first() {
        // 0 -> 1 -> 2, 2 -> 1 (cycle), 3 alone
        let s = vec![vec![1], vec![2], vec![1], vec![]];
        assert_eq!(tarjan(&s), vec![vec![1, 2], vec![0], vec![3]]);
        let deep: Vec<Vec<usize>> = (0..50_000)
            .map(|i| if i > 0 { vec![i - 1] } else { vec![] })
            .collect();
        assert_eq!(tarjan(&deep).len(), 50_000);
    }
}
