"""The pure core: rules, money, dates and policies. Nothing here may import AWS, pynamodb or Jinja2."""
