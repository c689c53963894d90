"""Link stage (placeholder until the practice linker lands)."""
from schemas import Article, Practice


def link_practices(article: Article) -> list[Practice]:
    return []
