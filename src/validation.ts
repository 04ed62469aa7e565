// zod's "mini" build is tree-shakable, which keeps start-up fast; it needs a locale for readable messages.
// Schema modules import this file for that side effect, and `* as z from "zod/mini"` themselves (re-exporting
// the namespace from here would defeat tree-shaking).
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());
