"""The assessor's workbench (`egov-audit review`): people confirm or correct the machine's verdicts.

assessment.py holds the rules (which items need a person, when answers agree, what is final),
app.py the Flask web application, serving.py how it is bound and protected, importer.py reading
filled-in questionnaires back, accuracy.py what the confirmed answers say about the machine.
"""
