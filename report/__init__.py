"""The monthly law-enforcement quality white paper (执法质量白皮书): figures, charts, HTML, PDF."""
