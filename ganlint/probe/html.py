def render_html(report):
    return "<html><body>report</body></html>"
