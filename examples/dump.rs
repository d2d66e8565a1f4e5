fn main() {
    let p = std::env::args().nth(1).unwrap();
    let opts = mcpguard::scan::ScanOptions::default();
    let l = mcpguard::scan::load_inputs(&[p.into()], &opts);
    for r in l.inventory.resources() {
        if r.arm_type().contains("roleAssign") || r.arm_type().contains("userAssigned") || r.arm_type().contains("containerGroups") {
            println!("{} {}\n doc={}\n facts={}\n links={:?} unknown={:?}", r.address, r.arm_type(), r.doc, r.facts, r.links, r.unknown);
        }
    }
}
