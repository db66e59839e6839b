//! Concatenates the Fluent files of each locale (one file per module under `locales/<lang>/`) so the
//! binary embeds them and modules can add their own messages without touching a shared file.

use std::fs;
use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("OUT_DIR set by cargo");
    println!("cargo:rerun-if-changed=locales");
    for lang in ["zh-CN", "en"] {
        let dir = Path::new("locales").join(lang);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "ftl"))
            .collect();
        files.sort();
        let mut all = String::new();
        for f in files {
            println!("cargo:rerun-if-changed={}", f.display());
            all.push_str(&format!(
                "## file: {}\n",
                f.file_name().unwrap().to_string_lossy()
            ));
            all.push_str(
                &fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display())),
            );
            all.push('\n');
        }
        fs::write(Path::new(&out).join(format!("{lang}.ftl")), all).expect("write ftl");
    }
}
