"""Print the JSON Schema of documents.jsonl and manifest.jsonl lines."""
import json

from schemas import Article, ManifestEntry

print(json.dumps({"documents.jsonl": Article.model_json_schema(),
                  "manifest.jsonl": ManifestEntry.model_json_schema()},
                 ensure_ascii=False, indent=2))
