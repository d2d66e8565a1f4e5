//! Every real plan of the shared corpus loads and translates.

use std::path::{Path, PathBuf};

use mcpguard::inventory::InputKind;
use mcpguard::load::{azurerm, plan, read_text};

fn plans(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            plans(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn corpus_plans_load_and_translate() {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/plans"
    ));
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let mut files = Vec::new();
    plans(dir, &mut files);
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the corpus plans, found {}",
        files.len()
    );
    let mut translated = 0;
    for f in &files {
        let text = read_text(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let model = plan::load(&f.display().to_string(), &text)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let n = model.resources.len();
        let (res, _notes) = azurerm::translate(model, InputKind::Plan);
        assert!(res.len() <= n, "{}", f.display());
        for r in &res {
            // Known, partly known, or unknown but naming the resource.
            assert!(
                r.doc.get("id").and_then(|v| v.as_key()).is_some(),
                "{}: {} has no id",
                f.display(),
                r.address
            );
            assert!(
                !r.arm_type().is_empty(),
                "{}: {} has no type",
                f.display(),
                r.address
            );
        }
        translated += res
            .iter()
            .filter(|r| !r.arm_type().starts_with("terraform:"))
            .count();
    }
    assert!(
        translated > 50,
        "only {translated} resources of known types in the corpus"
    );
}

#[test]
fn corpus_unknown_subnet_ids_resolve_to_the_subnet() {
    let f = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/plans/zodiac__mage-ai-terraform-templates-master_azure.json"
    ));
    if !f.is_file() {
        eprintln!("skipped: {} is absent", f.display());
        return;
    }
    let text = read_text(f).expect("readable");
    let (res, _) = azurerm::translate(
        plan::load("mage.json", &text).expect("plan"),
        InputKind::Plan,
    );
    let cg = res
        .iter()
        .find(|r| r.tf_type.as_deref() == Some("azurerm_container_group"))
        .expect("a container group");
    // Unknown at plan time, the subnet id still names the subnet it will be.
    let subnet_id = cg
        .doc
        .pointer("/properties/subnetIds/0/id")
        .expect("subnet id");
    let subnet = res
        .iter()
        .find(|r| r.doc.get("id") == Some(subnet_id))
        .expect("the subnet is in the inventory");
    assert_eq!(subnet.tf_type.as_deref(), Some("azurerm_subnet"));
    assert!(subnet_id.as_str().is_some() || subnet_id.refers_to() == Some(subnet.address.as_str()));
    assert_eq!(
        cg.doc
            .pointer("/properties/ipAddress/type")
            .and_then(|v| v.as_str()),
        Some("Private")
    );
}
