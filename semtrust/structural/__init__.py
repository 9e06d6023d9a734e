"""structural"""
