#!/usr/bin/env node
require("../dist/boot.cjs").runCached(require("node:path").join(__dirname, "..", "dist", "main.cjs"));
