"""The console: pages for loan officers, credit managers and on-call staff (Streamlit).

`credit-risk console` (or the local stack) runs `streamlit run console/app.py`. Apply scores an
application through the scoring service over HTTP; Portfolio reads the dbt marts; Models reads
the registry and the promotion log; Monitoring reads the monitoring tables. The console never
loads a model itself, so what it shows is what the service decides.
"""
